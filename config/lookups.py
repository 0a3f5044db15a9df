"""`field__in_ids=[…]`: membership in a list of ids as one array parameter on PostgreSQL.

`__in` with thousands of ids renders thousands of placeholders; psycopg spent more time
converting those queries than PostgreSQL spent running them (profiled: 1.9 s of 8 s).
`= ANY(%s)` sends one array. Elsewhere it falls back to IN.

Pass a set (or any iterable but a list or tuple): Django walks list and tuple filter values element
by element looking for expressions, 0.5 ms per 2,000 ids – more than the rest of building the query.
"""

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


def id_array_literal(ids: Iterable[int]) -> str:
    """A PostgreSQL array literal of ids, for a `%s::bigint[]` parameter."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


@Field.register_lookup
class InIds(Lookup):
    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(map(int, self.rhs))

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = self.rhs  # already a list of ints (get_prep_lookup)
        if not ids:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            # An array literal: psycopg adapts one string much faster than a list of ints.
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, id_array_literal(ids)]
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids]


# Foreign keys keep lookups of their own; `customer_id__in_ids=` compares the raw id column.
ForeignObject.register_lookup(InIds)
