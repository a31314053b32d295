"""sales_order.import_ref: the number an imported order had in the sheet it came from

An order imported from another system's sheet takes the next number of the order series; the
sheet's own number is kept here, unique, so that importing the same sheet again finds the orders
it made (unchanged, or changed where the sheet changed them) instead of making them twice.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_ref', sa.String(length=40), nullable=True))
        batch_op.create_index('uq_sales_order_import_ref', ['import_ref'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index('uq_sales_order_import_ref')
        batch_op.drop_column('import_ref')
