"""The import pages of the organisation and user registries (sheets 机构 and 用户)."""

from __future__ import annotations

from fastapi import APIRouter

from ecoloop.access.actions import Action
from ecoloop.i18n import N_
from ecoloop.identity import org_imports
from ecoloop.web.imports import add_import_page

router = APIRouter()
add_import_page(
    router,
    "/organisations/import",
    action=Action.MANAGE_ORGANISATIONS,
    title=N_("Import organisations"),
    back=("/organisations", N_("Organisations")),
    importer=org_imports.import_organisations,
    template=org_imports.template,
    filename="机构导入模板.xlsx",
)
