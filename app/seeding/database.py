"""Write a validated seed bundle into the database, idempotently.

Records are upserted by their natural keys and their child rows (measures, initiatives, links)
are replaced, so loading the same seed twice leaves the same database. Everything happens in the
caller's transaction: a failure leaves nothing half written.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlmodel import Session, SQLModel, col, select

from app.matching.rules import lexicon_entry_id
from app.models import (
    Action,
    Agency,
    AgencyMunicipality,
    AgencyRole,
    ContactPoint,
    ContactPointMunicipality,
    DirectoryState,
    Initiative,
    InitiativeBody,
    Kpi,
    KpiAction,
    LexiconEntry,
    MatcherRule,
    Measure,
    Municipality,
    Need,
    NeedAction,
    NeedAgency,
    Pillar,
    Programme,
    ProgrammeAction,
    ProgrammeMeasure,
    ProgrammeOperator,
    ProgrammeSupportType,
    ScheduleEntry,
    SupportType,
)
from app.models.common import utcnow
from app.seeding.loader import SeedBundle, seed_timestamp


def columns_from(seed: BaseModel, table: type[SQLModel], **named: Any) -> dict[str, Any]:
    """A table row's values from a seed entry: every field whose name is also a column of the
    table (enums as their values), plus `named` for the columns stored under another name or
    shape (source.section -> source_section). A field added to both the seed schema and the table
    under one name needs no edit here."""
    data = seed.model_dump(mode="json")
    values = {k: v for k, v in data.items() if k in table.model_fields}
    values.update(named)
    return values


def fiscal_year(label: str) -> int:
    """H25 -> 2013 (Heisei year + 1988)."""
    return int(label[1:]) + 1988


def database_is_empty(session: Session) -> bool:
    return session.exec(select(SupportType).limit(1)).first() is None


def bump_directory_version(session: Session) -> int:
    """Move the directory version on by one in the caller's transaction.

    One atomic UPDATE (version = version + 1): with a read-then-write, two concurrent edits on
    PostgreSQL could both write the same next version, and a worker that rebuilt between them
    would never see the second edit."""
    result = session.execute(
        update(DirectoryState)
        .where(col(DirectoryState.id) == 1)
        .values(version=col(DirectoryState.version) + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(DirectoryState(id=1, version=1))
        session.flush()
        return 1
    state = session.get(DirectoryState, 1, populate_existing=True)
    assert state is not None
    return state.version


def _alias_index(bundle: SeedBundle) -> dict[str, str]:
    index: dict[str, str] = {}
    for agency in bundle.agencies:
        for alias in [agency.short_name, agency.name, *agency.aliases]:
            index.setdefault(alias, agency.id)
    return index


def load_seed_into_database(session: Session, bundle: SeedBundle) -> dict[str, int]:
    """Upsert the whole seed; returns the number of records of each kind written."""
    counts: dict[str, int] = {}
    stamp = seed_timestamp(bundle)

    for st in bundle.support_types:
        session.merge(
            SupportType(
                code=st.code.value,
                name=st.name,
                name_en=st.name_en,
                description=st.description,
                sort_order=st.order,
            )
        )
    counts["support_types"] = len(bundle.support_types)

    # Parents first, so that parent_id references resolve within the flush order.
    parents = {a.id: a.parent_id for a in bundle.agencies}

    def depth(agency_id: str) -> int:
        d, current = 0, parents.get(agency_id)
        while current is not None and d < len(parents):
            d, current = d + 1, parents.get(current)
        return d

    ordered = sorted(bundle.agencies, key=lambda a: (depth(a.id), a.id))
    for a in ordered:
        session.merge(
            Agency(
                **columns_from(
                    a,
                    Agency,
                    source_section=a.source.section,
                    source_page=a.source.page,
                    updated_at=stamp,
                )
            )
        )
        session.flush()
    agency_ids = [a.id for a in bundle.agencies]
    session.execute(delete(AgencyRole).where(col(AgencyRole.agency_id).in_(agency_ids)))
    for a in bundle.agencies:
        for role in a.roles:
            session.add(AgencyRole(agency_id=a.id, support_type_code=role.value))
    session.execute(
        delete(AgencyMunicipality).where(col(AgencyMunicipality.agency_id).in_(agency_ids))
    )
    counts["agencies"] = len(bundle.agencies)
    counts["role_matrix_cells"] = sum(len(a.roles) for a in bundle.agencies)

    for m in bundle.municipalities:
        session.merge(
            Municipality(
                code=m.code, name=m.name, kind=m.kind, source=bundle.municipalities_source[:1000]
            )
        )
    counts["municipalities"] = len(bundle.municipalities)
    session.flush()
    for a in bundle.agencies:
        for code in dict.fromkeys(a.municipalities):
            session.add(AgencyMunicipality(agency_id=a.id, municipality_code=code))

    for pl in bundle.pillars:
        session.merge(Pillar(number=pl.number, title=pl.title, slogan=pl.slogan, goal=pl.goal))
    session.flush()

    alias_to_agency = _alias_index(bundle)
    action_numbers = [a.number for a in bundle.actions]
    _delete_action_children(session, action_numbers)
    measure_ids: dict[str, int] = {}
    n_measures = n_initiatives = n_schedule = 0
    for act in bundle.actions:
        session.merge(
            Action(
                number=act.number,
                title=act.title,
                pillar_number=act.pillar,
                strategic=act.strategic,
                focus=act.focus,
                challenges=[c.model_dump() for c in act.challenges],
                past_initiatives=list(act.past_initiatives),
                notes=list(act.notes),
                source_section=act.source.section,
                source_page=act.source.page,
            )
        )
        session.flush()
        for ms in act.measures:
            measure = Measure(
                action_number=act.number,
                number=ms.number,
                title=ms.title,
                text=ms.text,
                strategic=ms.strategic,
            )
            session.add(measure)
            session.flush()
            assert measure.id is not None
            measure_ids[f"{act.number}.{ms.number}"] = measure.id
            n_measures += 1
            for pos, ini in enumerate(ms.initiatives):
                initiative = Initiative(
                    measure_id=measure.id, position=pos, title=ini.title, points=list(ini.points)
                )
                session.add(initiative)
                session.flush()
                assert initiative.id is not None
                n_initiatives += 1
                for bpos, label in enumerate(ini.responsible):
                    session.add(
                        InitiativeBody(
                            initiative_id=initiative.id,
                            position=bpos,
                            label=label,
                            agency_id=alias_to_agency.get(label),
                        )
                    )
                for entry in ini.schedule:
                    session.add(
                        ScheduleEntry(
                            initiative_id=initiative.id,
                            start_fiscal_year=fiscal_year(entry.start),
                            end_fiscal_year=fiscal_year(entry.end),
                            text=entry.text,
                            inferred=act.schedule_inferred,
                            note=entry.note,
                        )
                    )
                    n_schedule += 1
    counts.update(
        actions=len(bundle.actions),
        measures=n_measures,
        initiatives=n_initiatives,
        schedule_entries=n_schedule,
    )

    kpi_ids = [k.id for k in bundle.kpis]
    session.execute(delete(KpiAction).where(col(KpiAction.kpi_id).in_(kpi_ids)))
    for order, k in enumerate(bundle.kpis):
        session.merge(
            Kpi(
                id=k.id,
                category=k.category,
                name=k.name,
                baseline_value=k.baseline.value if k.baseline else None,
                baseline_unit=k.baseline.unit if k.baseline else None,
                baseline_year=k.baseline.year if k.baseline else None,
                baseline_text=k.baseline.text if k.baseline else None,
                target_value=k.target.value,
                target_unit=k.target.unit,
                target_text=k.target.text,
                period=k.period,
                accumulation=k.accumulation,
                value_kind=k.value_kind,
                period_start_fiscal_year=k.period_start_fiscal_year,
                period_end_fiscal_year=k.period_end_fiscal_year,
                industrial_strategy_target=k.industrial_strategy_target,
                note=k.note,
                observed_need_ids=list(k.observed_needs) or None,
                source_section=k.source.section,
                sort_order=order,
            )
        )
    session.flush()
    for k in bundle.kpis:
        for n in k.actions:
            session.add(KpiAction(kpi_id=k.id, action_number=n))
    counts["kpis"] = len(bundle.kpis)

    programme_ids = [g.id for g in bundle.programmes]
    for link in (ProgrammeOperator, ProgrammeAction, ProgrammeMeasure, ProgrammeSupportType):
        session.execute(delete(link).where(col(link.programme_id).in_(programme_ids)))
    for g in bundle.programmes:
        session.merge(
            Programme(
                **columns_from(
                    g,
                    Programme,
                    source_section=g.source.section,
                    source_page=g.source.page,
                    updated_at=stamp,
                )
            )
        )
    session.flush()
    for g in bundle.programmes:
        for op in dict.fromkeys(g.operators):
            session.add(ProgrammeOperator(programme_id=g.id, agency_id=op))
        for n in dict.fromkeys(g.actions):
            session.add(ProgrammeAction(programme_id=g.id, action_number=n))
        for ref in dict.fromkeys(g.measures):
            session.add(ProgrammeMeasure(programme_id=g.id, measure_id=measure_ids[ref]))
        for st_code in dict.fromkeys(g.support_types):
            session.add(ProgrammeSupportType(programme_id=g.id, support_type_code=st_code.value))
    counts["programmes"] = len(bundle.programmes)

    need_ids = [n.id for n in bundle.needs]
    session.execute(delete(NeedAction).where(col(NeedAction.need_id).in_(need_ids)))
    session.execute(delete(NeedAgency).where(col(NeedAgency.need_id).in_(need_ids)))
    for need in bundle.needs:
        session.merge(
            Need(
                **columns_from(
                    need,
                    Need,
                    support_type_code=need.support_type.value,
                    source_section=need.source.section,
                )
            )
        )
    session.flush()
    for need in bundle.needs:
        for n in dict.fromkeys(need.actions):
            session.add(NeedAction(need_id=need.id, action_number=n))
        for pos, ag in enumerate(dict.fromkeys(need.agencies)):
            session.add(NeedAgency(need_id=need.id, agency_id=ag, position=pos))
    counts["needs"] = len(bundle.needs)

    cp_ids = [c.id for c in bundle.contact_points]
    session.execute(
        delete(ContactPointMunicipality).where(
            col(ContactPointMunicipality.contact_point_id).in_(cp_ids)
        )
    )
    for c in bundle.contact_points:
        session.merge(ContactPoint(**columns_from(c, ContactPoint, updated_at=stamp)))
    session.flush()
    for c in bundle.contact_points:
        for code in dict.fromkeys(c.municipalities):
            session.add(ContactPointMunicipality(contact_point_id=c.id, municipality_code=code))
    counts["contact_points"] = len(bundle.contact_points)

    counts.update(load_rules_into_database(session, bundle))

    bump_directory_version(session)
    session.flush()
    return counts


def rules_table_is_empty(session: Session) -> bool:
    return (
        session.exec(select(MatcherRule.id).limit(1)).first() is None
        and session.exec(select(LexiconEntry.id).limit(1)).first() is None
    )


def load_rules_into_database(session: Session, bundle: SeedBundle) -> dict[str, int]:
    """Upsert the matcher rules and lexicon entries of the seed (validated by ``read_seed``).

    A row whose theme, position or body differs from the files is overwritten and its revision
    moves on (so ETags held by editors go stale); an equal row is left alone, so loading twice
    changes nothing. Rows added through the API and absent from the files are kept. The caller
    bumps the directory version.
    """
    existing_rules = {r.id: r for r in session.exec(select(MatcherRule))}
    positions: dict[str, int] = {}
    for theme, body in bundle.rules:
        position = positions.get(theme, 0)
        positions[theme] = position + 1
        rule_id = str(body["id"])
        row = existing_rules.get(rule_id)
        if row is None:
            session.add(MatcherRule(id=rule_id, theme=theme, position=position, body=body))
        elif (row.theme, row.position, row.body) != (theme, position, body):
            row.theme, row.position, row.body = theme, position, body
            row.revision += 1
            row.updated_at = utcnow()
            session.add(row)
    existing_entries = {(e.kind, e.id): e for e in session.exec(select(LexiconEntry))}
    positions = {}
    for kind, body in bundle.lexicon:
        position = positions.get(kind, 0)
        positions[kind] = position + 1
        entry_id = lexicon_entry_id(kind, body)
        entry = existing_entries.get((kind, entry_id))
        if entry is None:
            session.add(LexiconEntry(kind=kind, id=entry_id, position=position, body=body))
        elif (entry.position, entry.body) != (position, body):
            entry.position, entry.body = position, body
            entry.revision += 1
            entry.updated_at = utcnow()
            session.add(entry)
    session.flush()
    return {"matcher_rules": len(bundle.rules), "lexicon_entries": len(bundle.lexicon)}


def _delete_action_children(session: Session, action_numbers: list[int]) -> None:
    measure_ids = list(
        session.exec(select(Measure.id).where(col(Measure.action_number).in_(action_numbers)))
    )
    if not measure_ids:
        return
    initiative_ids = list(
        session.exec(select(Initiative.id).where(col(Initiative.measure_id).in_(measure_ids)))
    )
    if initiative_ids:
        session.execute(
            delete(ScheduleEntry).where(col(ScheduleEntry.initiative_id).in_(initiative_ids))
        )
        session.execute(
            delete(InitiativeBody).where(col(InitiativeBody.initiative_id).in_(initiative_ids))
        )
        session.execute(delete(Initiative).where(col(Initiative.id).in_(initiative_ids)))
    session.execute(
        delete(ProgrammeMeasure).where(col(ProgrammeMeasure.measure_id).in_(measure_ids))
    )
    session.execute(delete(Measure).where(col(Measure.id).in_(measure_ids)))
