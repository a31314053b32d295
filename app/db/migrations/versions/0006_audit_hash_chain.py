"""a tamper-evident audit: audit_log.prev_hash and hash, the chain head audit_chain

Every audit row gets ``prev_hash`` and ``hash`` (SHA-256 over the previous row's hash and its own
content, see app/db/audit_chain.py); ``audit_chain`` holds the chain's head (one row, locked by
every save that appends). On upgrade the existing rows are hashed in id order — from now on any
change to them is detected; whether they were changed *before* the upgrade cannot be known — and
the current state of every protected row (invoices, payments, credit notes, refunds, users) is
recorded, then one ``chain_start`` row says when and how many rows were hashed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    op.create_table('audit_chain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=True),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain'))
    )
    from app.db import audit_chain

    conn = op.get_bind()
    earlier = audit_chain.rehash_all(conn)
    if earlier or _has_protected_rows(conn):
        sealed = audit_chain.seal(conn)
        audit_chain.append(conn, [{
            "at": audit_chain.utcnow(), "username": "system", "workstation": None, "action": audit_chain.CHAIN_START,
            "entity": "audit_log", "entity_id": None, "field": None, "old_value": None,
            "new_value": f"upgrade to 0006: {earlier} earlier audit rows hashed, the state of {sealed} protected "
                         "rows recorded"}])


def _has_protected_rows(conn) -> bool:  # type: ignore[no-untyped-def]
    from app.db.audit_chain import PROTECTED

    return any(conn.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in PROTECTED)


def downgrade() -> None:
    op.drop_table('audit_chain')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
