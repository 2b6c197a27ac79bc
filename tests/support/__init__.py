"""Test infrastructure shared by the tests and by `make bench` / `make loadtest`: the production
stack on loopback, throwaway PostgreSQL servers, the load run, admin form data."""
