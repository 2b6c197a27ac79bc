"""The admin's own views, a module per capability; `IssueAdmin.get_urls` and `ReportAdmin.get_urls`
route to them."""
