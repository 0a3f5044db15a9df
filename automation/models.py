"""Automation rules (SPEC section 9); filled by a later issue."""
