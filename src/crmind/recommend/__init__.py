"""Recommendations: which products to show or mail to each customer, and why."""
