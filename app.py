"""Streamlit entry point: navigation only. Run with `make run`."""

from edutools.app.navigation import main

main()
