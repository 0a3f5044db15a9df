"""Sends the coldstorage app, and only it, to the `coldstorage` database."""

COLD_APP = "coldstorage"
COLD_DB = "coldstorage"


class ColdStorageRouter:
    def db_for_read(self, model, **hints):
        return COLD_DB if model._meta.app_label == COLD_APP else "default"

    def db_for_write(self, model, **hints):
        return COLD_DB if model._meta.app_label == COLD_APP else "default"

    def allow_relation(self, obj1, obj2, **hints):
        return (obj1._meta.app_label == COLD_APP) == (obj2._meta.app_label == COLD_APP)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == COLD_APP:
            return db == COLD_DB
        return db == "default"
