-- BM25 keyword ranking (docs/specs/SEARCH_V1.md): corpus statistics beside the chunks. Triggers keep
-- them exact on every insert, update, delete and truncate of search_chunks, whichever code writes.

-- A chunk's length for BM25: its term occurrences (positions) in the keyword vector.
create function search_keyword_length(keywords tsvector) returns integer
  language sql immutable strict parallel safe
  begin atomic
    select coalesce(sum(cardinality(u.positions)), 0)::integer from unnest(keywords) as u(lexeme, positions, weights);
  end;

-- Qualified-name matches ("Circle.scale") use an index too.
create index search_chunks_symbol_idx on search_chunks (lower(symbol));

alter table search_chunks add column keyword_len integer generated always as (search_keyword_length(keywords)) stored;

-- Document frequency of each lexeme (chunks that contain it).
create table search_terms (
  term text primary key,
  df integer not null check (df >= 0)
);

-- One row: the number of chunks and the sum of their lengths (for the average length).
create table search_stats (
  singleton boolean primary key default true check (singleton),
  chunks bigint not null check (chunks >= 0),
  total_len double precision not null
);

insert into search_stats (chunks, total_len)
  select count(*), coalesce(sum(keyword_len), 0) from search_chunks;
insert into search_terms (term, df)
  select t.term, count(*) from search_chunks c, unnest(tsvector_to_array(c.keywords)) as t(term) group by t.term;

-- The stats row is locked first in every statement, then the terms: concurrent writers queue on it
-- instead of deadlocking on each other's terms.
create function search_chunks_count_removed() returns trigger language plpgsql as $$
begin
  update search_stats set chunks = chunks - (select count(*) from old_rows),
                          total_len = total_len - (select coalesce(sum(keyword_len), 0) from old_rows);
  with gone as (
    select t.term, count(*) as n from old_rows o, unnest(tsvector_to_array(o.keywords)) as t(term) group by t.term
  )
  update search_terms s set df = s.df - gone.n from gone where s.term = gone.term;
  delete from search_terms where df = 0;
  return null;
end
$$;

create function search_chunks_count_added() returns trigger language plpgsql as $$
begin
  update search_stats set chunks = chunks + (select count(*) from new_rows),
                          total_len = total_len + (select coalesce(sum(keyword_len), 0) from new_rows);
  insert into search_terms as s (term, df)
    select t.term, count(*) from new_rows n, unnest(tsvector_to_array(n.keywords)) as t(term)
     group by t.term order by t.term
  on conflict (term) do update set df = s.df + excluded.df;
  return null;
end
$$;

create function search_chunks_count_truncated() returns trigger language plpgsql as $$
begin
  update search_stats set chunks = 0, total_len = 0;
  delete from search_terms;
  return null;
end
$$;

create trigger search_chunks_removed after delete on search_chunks
  referencing old table as old_rows for each statement execute function search_chunks_count_removed();
create trigger search_chunks_added after insert on search_chunks
  referencing new table as new_rows for each statement execute function search_chunks_count_added();
create trigger search_chunks_updated_removed after update on search_chunks
  referencing old table as old_rows for each statement execute function search_chunks_count_removed();
create trigger search_chunks_updated_added after update on search_chunks
  referencing new table as new_rows for each statement execute function search_chunks_count_added();
create trigger search_chunks_truncated after truncate on search_chunks
  for each statement execute function search_chunks_count_truncated();
