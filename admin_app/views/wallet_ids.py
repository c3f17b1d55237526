"""Lists that search wallet IDs read a typed ID by one rule (services.wallets.code_search)."""
from sqlalchemy import or_

from ..services import wallets


class WalletIdSearch:
    """Mixed into a list view: a search also finds the records whose wallet's ID
    begins with what was typed, with or without its dash and in any case.
    ``wallet_id_column`` names the model's column holding the wallet's id."""

    wallet_id_column = "wallet_id"

    def _search_condition(self, query, joins, search: str):
        query, joins, condition = super()._search_condition(query, joins, search)
        ids = wallets.wallet_ids_by_code(search)
        if ids is None:
            return query, joins, condition
        return query, joins, or_(getattr(self.model, self.wallet_id_column).in_(ids), condition)
