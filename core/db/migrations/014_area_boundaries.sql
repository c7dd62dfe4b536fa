-- Admin-area boundaries and what the civil registry connector applied.
--
-- A boundary is a GeoJSON Polygon or MultiPolygon (WGS 84 longitude/latitude) kept as jsonb, with its bounding box
-- in columns: "which areas may contain this point" is a range query on the box, and the exact point-in-polygon test
-- runs in the application (core/registry/areas/geometry.ts), since PostGIS is not on every engine (PGlite).
create table admin_area_boundary (
  area_code  text primary key references admin_area (code) on delete cascade,
  geometry   jsonb not null check (geometry ->> 'type' in ('Polygon', 'MultiPolygon')),
  min_lon    double precision not null,
  min_lat    double precision not null,
  max_lon    double precision not null,
  max_lat    double precision not null,
  -- where it came from (the imported file's name), for the administrator
  source     text,
  updated_at timestamptz not null default now(),
  check (min_lon <= max_lon and min_lat <= max_lat)
);
create index admin_area_boundary_box on admin_area_boundary (min_lat, max_lat, min_lon, max_lon);

-- One row per civil registry record version the connector handled (connectors/civil-registry): a retried or resumed
-- pull finds it here and applies nothing twice, even if the cursor were reset. No personal data: resource ids only.
create table civil_registry_record (
  system        text not null,
  resource_type text not null,
  resource_id   text not null,
  version_id    text not null,
  event         text not null check (event in ('death', 'birth')),
  -- applied, already_deceased, review (a change request or possible match), unmatched, ...
  outcome       text not null,
  person_id     uuid references person (id) on delete set null,
  case_id       uuid,
  handled_at    timestamptz not null default now(),
  primary key (system, resource_type, resource_id, version_id)
);
create index civil_registry_record_person on civil_registry_record (person_id) where person_id is not null;
