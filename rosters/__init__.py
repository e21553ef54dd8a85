"""Rosters for partner departments (数据转办): who is on each, 变动, the files."""
