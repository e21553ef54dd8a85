{# `column in ('a', 'b')` for a list passed as a dbt var (from config/doudi.toml); an empty
   list matches nothing. #}
{% macro in_list(column, values) -%}
    {%- if values -%}
    {{ column }} in ({% for value in values %}'{{ value }}'{{ ", " if not loop.last }}{% endfor %})
    {%- else -%}
    false
    {%- endif -%}
{%- endmacro %}
