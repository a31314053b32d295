"""number_sequence.start_value: where a series started in OrderCycle

A firm that moves from another system continues its numbering (the next invoice is RE-2027-0412);
its documents are gap-free from that number on, not from 1, and ``ordercycle db check`` counts from
it. Every existing series started at 1.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 21:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('number_sequence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_value', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('number_sequence', schema=None) as batch_op:
        batch_op.drop_column('start_value')
