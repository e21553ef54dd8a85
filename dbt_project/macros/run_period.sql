{#- The period a `doudi run` builds (DOUDI_PERIOD, set by the Dagster dbt asset); empty when
    dbt is run by hand. -#}
{% macro run_period() -%}
    {{ return(env_var('DOUDI_PERIOD', '')) }}
{%- endmacro %}

{#- A mart with a row set per period is built for the run's period alone: its rows for that
    period are deleted first (so a period that now yields no rows keeps none), then the
    period's rows appended. Built whole on the first run, by hand, and with --full-refresh
    (`doudi run --recompute`). -#}
{% macro per_period_mart() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{% if is_incremental() and run_period() %}delete from {{ this }} where period = '{{ run_period() }}'{% endif %}"
    ) }}
{%- endmacro %}

{#- The rows of `relation` an incremental build of a per-period mart reads: the run's period. -#}
{% macro of_run_period(relation) -%}
    {%- if is_incremental() and run_period() -%}
        (select * from {{ relation }} where period = '{{ run_period() }}')
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
