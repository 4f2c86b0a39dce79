"""The import pages of the monitoring registries: sites (sheet 监测点位) and data loggers (sheet 数采仪)."""

from __future__ import annotations

from fastapi import APIRouter

from ecoloop.access.actions import Action
from ecoloop.i18n import N_
from ecoloop.monitoring import device_imports
from ecoloop.web.imports import add_import_page

router = APIRouter()
add_import_page(
    router,
    "/monitoring/devices/import",
    action=Action.MANAGE_MONITORING,
    title=N_("Import data loggers"),
    back=("/monitoring/devices", N_("Data loggers")),
    importer=device_imports.import_devices,
    template=device_imports.template,
    filename="数采仪导入模板.xlsx",
)
