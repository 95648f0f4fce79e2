"""Configuration as typed values: config.yaml and the flow files, read and validated once, at the edge.

Owns the YAML reader with `file:line` errors (`yamlsource`), the app and group config (`app`), flows and their
questions (`flows`), supervision goals (`goals`), session calendars, round timelines and quiet hours (`calendars`)
and how a group's calendar section is read (`calendar_config`). Imports nothing else of the domain: everything
downstream takes these values and never re-checks raw dicts.
"""
