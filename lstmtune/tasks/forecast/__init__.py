"""Forecasting: one series (or several) in time order; predict the next steps."""
