"""A hub of member councils: its configuration (config.py), harvesting members' releases (harvest.py,
with fetch.py and checks.py) and the federated query over members' endpoints (query.py)."""
