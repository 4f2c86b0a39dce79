"""The import pages of the organisation and user registries (sheets 机构 and 用户)."""

from __future__ import annotations

from fastapi import APIRouter

from ecoloop.access.actions import Action
from ecoloop.i18n import N_
from ecoloop.identity import org_imports, user_imports
from ecoloop.identity.routes import base_url_of, password_link_address
from ecoloop.web.imports import add_import_page

router = APIRouter()
add_import_page(
    router,
    "/admin/organisations/import",
    action=Action.MANAGE_ORGANISATIONS,
    title=N_("Import organisations"),
    back=("/admin/organisations", N_("Organisations")),
    importer=org_imports.import_organisations,
    template=org_imports.template,
    filename="机构导入模板.xlsx",
)
add_import_page(
    router,
    "/admin/users/import",
    action=Action.MANAGE_USERS,
    title=N_("Import users"),
    back=("/admin/users", N_("Users")),
    importer_for=lambda settings: user_imports.importer_for(settings.password_link_lifetime),
    template=user_imports.template,
    filename="用户导入模板.xlsx",
    handover=lambda request, settings, raw: password_link_address(base_url_of(request, settings), raw),
)
