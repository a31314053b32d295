"""customer_contact, customer.vat_number, address.region: the customers screen (issue 20)

A customer gets its VAT number (checked for its country by the service) and the people to talk to
(one of them, at most, the one invoices go to); an address gets its region (county, state,
province) for the countries whose post wants one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 20:40:00
"""
from alembic import op
import sqlalchemy as sa

import app.models.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_number', sa.String(length=20), nullable=True))
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region', sa.String(length=80), nullable=True))
    op.create_table('customer_contact',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=80), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('for_invoices', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), server_default='system', nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_contact_customer_id_customer'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_contact'))
    )
    with op.batch_alter_table('customer_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_contact_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_contact_customer_id'))
    op.drop_table('customer_contact')
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.drop_column('region')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('vat_number')
