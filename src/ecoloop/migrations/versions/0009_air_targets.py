"""air targets: each region's good-day ratio, PM2.5 and heavy-pollution-day targets per year (issue 16)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:24:16.256234
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoloop.db.base


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "air_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("good_ratio_target", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("pm25_target", sa.Integer(), nullable=False),
        sa.Column("heavy_days_target", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            ecoloop.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            ecoloop.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_air_targets_region_id_regions"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_air_targets")),
        sa.UniqueConstraint("region_id", "year", name=op.f("uq_air_targets_region_id")),
    )
    with op.batch_alter_table("air_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_air_targets_region_id"), ["region_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("air_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_air_targets_region_id"))
    op.drop_table("air_targets")
