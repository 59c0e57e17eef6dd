"""Toy Kedro project for the bridge's tests."""
