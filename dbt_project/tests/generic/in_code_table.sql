{# The column holds only canonical codes of its source's code table, as declared in
   sources/<extract>.py and passed by the Dagster dbt asset as the var `code_tables` (one
   copy of each code table). Run without it, every value fails: build through doudi. #}
{% test in_code_table(model, column_name, extract, code_column) %}
{%- set values = var('code_tables', {}).get(extract, {}).get(code_column, []) %}
select {{ column_name }} from {{ model }}
where {{ column_name }} is not null and not {{ in_list(column_name, values) }}
{% endtest %}
