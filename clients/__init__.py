"""Programs that run on other machines against the platform. They use its HTTP API only and import
neither Django nor the platform's packages (tests/clients/test_geosync.py checks it)."""
