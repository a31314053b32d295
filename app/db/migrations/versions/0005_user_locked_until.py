"""user sign-in throttling: app_user.locked_until

After wrong passwords a user must wait (a delay that doubles from the third) and, after
``sign_in_lock_after`` of them, is locked for ``sign_in_lock_minutes``; the moment until which
sign-in is refused is kept on the user's row, so every desk (and the idle lock) obeys it and an
administrator can clear it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import app.models.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', app.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
