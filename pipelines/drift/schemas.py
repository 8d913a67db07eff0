"""Schemas of the schema-drift API: an entity graph and a snapshot have the same
shape (entities with fields, indexes and foreign keys); the answer says what was
stored and the target's current drift."""

from typing import Annotated, Any, Self

from ninja import Schema
from pydantic import BaseModel, Field, Strict

from dashboard.platform.api_types import (
    INT64_MAX,
    CommitSha,
    FiniteFloat,
    InputSchema,
    IsoDatetime,
    PositiveInt32,
    Text,
)
from pipelines.drift.models import SchemaDocument, SchemaDrift
from pipelines.drift.types import PORTABLE_TYPES_DOC

MAX_ENTITIES = 2000
MAX_FIELDS = 1600  # PostgreSQL's column limit per table
MAX_KEYS = 200
Identifier = Text(63, min_length=1)  # checked in bytes by the normalizer
Int64 = Annotated[int, Strict(), Field(ge=-INT64_MAX - 1, le=INT64_MAX)]


class FieldIn(BaseModel):
    name: Identifier
    type: Text(60, min_length=1) = Field(
        description=f"A portable type: {PORTABLE_TYPES_DOC}. PostgreSQL's own "
        "spellings (character varying(200), timestamp with time zone…) are read as "
        "the same types."
    )
    nullable: bool = False
    default: bool | Int64 | FiniteFloat | Text(10_000) | None = Field(
        None,
        description="A literal (string, number, boolean) or one of now(), "
        "current_timestamp, current_date, gen_random_uuid().",
    )
    default_sql: Text(10_000) | None = Field(
        None,
        description="The default as PostgreSQL prints it (snapshots): "
        "'abc'::text, 0, now(); used instead of `default` when given.",
    )
    primary_key: bool = False
    unique: bool = False
    max_length: PositiveInt32 | None = Field(
        None, description="For varchar and char: the length, as varchar(n) says."
    )


class IndexIn(BaseModel):
    name: Identifier
    fields: list[Identifier] = Field(min_length=1, max_length=32)
    unique: bool = False


class ReferenceIn(BaseModel):
    entity: Identifier
    fields: list[Identifier] = Field(min_length=1, max_length=32)


class ForeignKeyIn(BaseModel):
    fields: list[Identifier] = Field(min_length=1, max_length=32)
    references: ReferenceIn
    on_delete: Text(20) = Field(
        "no action",
        description="no action, restrict, cascade, set null or set default",
    )
    name: Text(63) | None = None


class EntityIn(BaseModel):
    name: Identifier
    fields: list[FieldIn] = Field(min_length=1, max_length=MAX_FIELDS)
    indexes: list[IndexIn] = Field(default_factory=list, max_length=MAX_KEYS)
    foreign_keys: list[ForeignKeyIn] = Field(default_factory=list, max_length=MAX_KEYS)


class SchemaIn(InputSchema):
    """An entity graph (what a code generator emits) or a snapshot of the live
    schema (what `manage.py drift_snapshot` or pipelines/drift/snapshot.sql
    prints), for a schema target of the token's domain."""

    repository: Text(140, min_length=1)
    commit_sha: CommitSha
    target: Text(50, min_length=1)
    entities: list[EntityIn] = Field(max_length=MAX_ENTITIES)

    def document(self) -> dict[str, Any]:
        return {"entities": [e.model_dump() for e in self.entities]}


class ChangeOut(Schema):
    kind: str
    table: str
    name: str
    risk: str
    summary: str
    possible_rename: str


class SchemaAccepted(Schema):
    id: int
    target: str
    source: str
    repository: str
    commit_sha: str
    received_at: IsoDatetime
    created: bool
    entities: int
    drift_url: str

    @classmethod
    def of(cls, doc: SchemaDocument, *, created: bool, drift_url: str) -> Self:
        return cls(
            id=doc.pk,
            target=doc.target.name,
            source=doc.source,
            repository=doc.repository.full_name if doc.repository else "",
            commit_sha=doc.commit_sha,
            received_at=doc.received_at,
            created=created,
            entities=len(doc.schema["entities"]),
            drift_url=drift_url,
        )


class DriftOut(Schema):
    target: str
    fingerprint: str
    risk: str
    changes: list[ChangeOut]
    proof_state: str
    checked_at: IsoDatetime

    @classmethod
    def of(cls, drift: SchemaDrift) -> Self:
        from pipelines.drift.diff import change_summary

        return cls(
            target=drift.target.name,
            fingerprint=drift.fingerprint,
            risk=drift.risk,
            changes=[
                ChangeOut(
                    kind=c["kind"],
                    table=c["table"],
                    name=c["name"],
                    risk=c["risk"],
                    summary=change_summary(c),
                    possible_rename=c["possible_rename"],
                )
                for c in drift.changes
            ],
            proof_state=drift.proof_state,
            checked_at=drift.checked_at,
        )
