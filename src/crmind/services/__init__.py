"""Use cases that every face (CLI, API, web) calls: one unit of work each."""
