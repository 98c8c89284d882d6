"""The base every portal model stands on."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """A row with an internal key, a public UUID for URLs and the API, and its timestamps.

    Sequential keys never leave the database: they would tell an outsider how many patients or
    documents exist and invite guessing.
    """

    public_id = models.UUIDField(_("public identifier"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
