"""The privacy lifecycle of orders: anonymize, restore, purge (one implementation for every entry
point: order list, admin, automation, channel policies, management commands)."""
