"""Finding people: the search of the order list and the Kundenübersicht by names, company,
postcode, city and e-mail address – case-insensitive, by word prefix, several words together.

A search term matches where a word of the searched text begins with it: "schum" finds
"Schumacher", "jürgen schumacher" needs both words (in any order). Only active data is searched:
an anonymized address, customer or order holds placeholders and its real data is in cold
storage, which no search reads; and the placeholders are never matched either.

On PostgreSQL a trigram index (pg_trgm, migration customers.0006) serves the word-prefix match
of the address book and a pattern index the e-mail prefix. The order list looks up the address
book first and then the orders that came from the matches: the orders' own address columns
carry no index on purpose (Order.Meta: anonymizing them must stay a HOT update), they are only
re-checked for the orders found. Words are split at spaces only: the second half of
"Müller-Lüdenscheidt" does not begin a word.
"""

from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Concat, Lower
from django.db.models.sql import Query

from customers.models import Address, CustomerEmail
from personal.state import PrivacyState

#: The fields of an address (book entry or an order's own) that a search looks through.
ADDRESS_SEARCH_FIELDS = ("first_name", "last_name", "company", "postcode", "city")
#: More words than this are ignored: nobody types more to find a person.
MAX_TERMS = 5
#: A search with no word at least this long does not look through personal data: one or two
#: letters match a large share of all people (and make the trigram index read most of itself).
MIN_TERM_LENGTH = 3
#: Up to this many matching address-book entries a search finds the orders (customers) by their
#: ids; a word with more matches is common, and the list tests its rows as it walks its own index.
ADDRESS_LIMIT = 5000
EMAIL_CUSTOMER_LIMIT = 1000


def search_terms(q: str) -> list[str]:
    """The lower-cased words of a search, at most MAX_TERMS."""
    return q.lower().split()[:MAX_TERMS]


def looks_like_email(term: str) -> bool:
    """Whether a word may be (the beginning of) an e-mail address: "j.schumacher", "jürgen@"."""
    return "@" in term or "." in term


def searches_personal_data(terms: list[str]) -> bool:
    return any(len(term) >= MIN_TERM_LENGTH for term in terms)


def search_text(prefix: str = "") -> Combinable:
    """ " first last company postcode city", lower-cased: every word follows a space, so that a
    word prefix is a plain LIKE '% term%' that the trigram index answers. `prefix` names an
    order's own address ("billing_")."""
    parts: list = []
    for name in ADDRESS_SEARCH_FIELDS:
        parts += [Value(" "), F(f"{prefix}{name}")]
    return Lower(Concat(*parts, output_field=TextField()))


def matches_terms(alias: str, terms: list[str]) -> Q:
    """Every term begins a word of the text annotated as `alias`."""
    condition = Q()
    for term in terms:
        condition &= Q(**{f"{alias}__contains": f" {term}"})
    return condition


def email_prefix_condition(term: str) -> Q:
    return Q(email_lower__startswith=term)


def create_search_indexes_sql(schema_editor) -> list[str]:
    """The indexes behind the search, for PostgreSQL (migration customers.0006): the trigram
    index over search_text() and a prefix index over the lower-cased e-mail addresses. Their
    expressions are compiled by the ORM from the very expressions the search filters on, so that
    PostgreSQL can use them (an expression index serves only its own expression)."""
    address_text = _expression_sql(Address, search_text(), schema_editor)
    email_lower = _expression_sql(CustomerEmail, Lower("email"), schema_editor)
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"CREATE INDEX IF NOT EXISTS {ADDRESS_SEARCH_INDEX} ON {Address._meta.db_table} "
        f"USING gin (({address_text}) gin_trgm_ops)",
        f"CREATE INDEX IF NOT EXISTS {EMAIL_PREFIX_INDEX} ON {CustomerEmail._meta.db_table} "
        f"(({email_lower}) text_pattern_ops)",
    ]


ADDRESS_SEARCH_INDEX = "customers_address_search_trgm"
EMAIL_PREFIX_INDEX = "customers_email_lower_prefix"


def _expression_sql(model, expression, schema_editor) -> str:
    connection = schema_editor.connection
    query = Query(model, alias_cols=False)
    compiler = query.get_compiler(connection=connection)
    sql, params = expression.resolve_expression(query).as_sql(compiler, connection)
    return sql % tuple(schema_editor.quote_value(param) for param in params)


def active_addresses_matching(addresses: QuerySet, terms: list[str]) -> QuerySet:
    """The active address-book entries whose text matches every term, newest first."""
    return (
        addresses.filter(privacy_state=PrivacyState.ACTIVE)
        .alias(search_text=search_text())
        .filter(matches_terms("search_text", terms))
        # "id + 0": ordering by the bare id would tempt PostgreSQL to walk the primary key
        # backwards and test every row for a common name (120 ms for "Müller" on a million
        # orders, measured) instead of asking the trigram index and sorting what it found.
        # Callers that need no order say .order_by().
        .order_by((F("id") + 0).desc())
    )


def customer_ids_with_email(term: str, *, limit: int = EMAIL_CUSTOMER_LIMIT) -> list[int]:
    """Customers with an e-mail address that begins with `term` (lower-cased)."""
    return list(
        CustomerEmail.objects.alias(email_lower=Lower("email"))
        .filter(email_prefix_condition(term), customer__privacy_state=PrivacyState.ACTIVE)
        .order_by()
        .values_list("customer_id", flat=True)[:limit]
    )


# Changing search_text needs a new migration that rebuilds the trigram index: PostgreSQL uses
# an expression index only for the very same expression.
