"""The privacy basics every app builds on: the privacy state that orders, customers and addresses
share (`state`), the card-number refusal for every input path (`cards`, `forms`, `views`) and the
admin behaviour of personal data (`admin`).

Named for what it guards, personal data, and kept apart from the apps on purpose: it is not an
app (no models of its own, only the abstract PrivacyFields) and imports none of them, so that
orders, customers, channels, automation and notifications may all import it without a cycle.
"""
