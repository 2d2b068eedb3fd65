"""End-to-end tests against a real Synapse homeserver (see conftest.py)."""
