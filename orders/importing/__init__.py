"""The CSV import of orders (SPEC 10): our own export and Shopify's orders_export.csv, validated
in full and shown as a preview before one transaction imports them (docs/import.md).

`reading` turns bytes into rows (encoding, delimiter, quoting, limits); `formats` tells the two
formats apart and `own_format` / `shopify` turn rows into orders with the reasons a row is
refused (`rows`: what both share); `services` compares them with the database (duplicates, taken
numbers) and writes them set-based; `uploads` keeps a file between preview and confirmation.
"""
