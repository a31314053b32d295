"""bom_component: a product in another product's bill of materials (the products screen, issue 20)

Bills of material held purchased materials only; a sub-assembly (the frames of a shelving system,
a drawer unit built into a bench) is a product of its own, and the products screen refuses a BOM
that contains its own product, directly or deeper.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bom_component',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_bom_component_quantity_positive')),
    sa.CheckConstraint('component_id <> product_id', name=op.f('ck_bom_component_not_itself')),
    sa.ForeignKeyConstraint(['component_id'], ['product.id'], name=op.f('fk_bom_component_component_id_product')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_bom_component_product_id_product'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bom_component')),
    sa.UniqueConstraint('product_id', 'component_id', name=op.f('uq_bom_component_product_id_component_id'))
    )
    with op.batch_alter_table('bom_component', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bom_component_component_id'), ['component_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bom_component_product_id'), ['product_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bom_component', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bom_component_product_id'))
        batch_op.drop_index(batch_op.f('ix_bom_component_component_id'))
    op.drop_table('bom_component')
