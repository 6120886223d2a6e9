-- BM25 postings (docs/specs/SEARCH_V1.md, "Keyword retrieval"): one row per lexeme of each chunk's
-- keyword vector, with the lexeme's field-weighted term frequency and the chunk's length, indexed in
-- the order of each posting's BM25 term weight. Keyword retrieval reads, for each query term, its
-- postings best first and stops after a fixed number: exact BM25 while a term is in no more chunks
-- than that, the term's best chunks past it, at a cost set by the number of query terms and not by
-- the corpus's size. Triggers keep the postings exact on every write, whichever code writes.
-- The keyword vectors stay: they are what the postings are made from.

-- A surrogate key, so a posting holds 8 bytes of chunk and not its 32-character id.
alter table search_chunks add column seq bigint generated always as identity;
create unique index search_chunks_seq_idx on search_chunks (seq);

-- The field-weighted term frequency of a lexeme in a chunk (BM25F-style): every occurrence counts
-- once, one in the symbol's name (weight A) 3 times, one in its signature (B) twice. FIELD_BOOST in
-- src/search/retrieve.ts names the same numbers; a test checks they agree.
create function search_posting_tf(positions smallint[], weights text[]) returns integer
  language sql immutable strict parallel safe
  return cardinality(positions) + 2 * cardinality(array_positions(weights, 'A'))
         + cardinality(array_positions(weights, 'B'));

-- The order postings are read in: the BM25 term weight tf (k1 + 1) / (tf + k1 (1 - b + b len / L))
-- without the term's idf (the same for all of a term's postings), k1 = 1.2, b = 0.75, and a fixed
-- reference length L = 256 in place of the corpus's average, so a posting's place does not move as
-- the corpus grows. Scores are computed with the real average; only which postings are read first
-- depends on L.
create function search_posting_impact(tf integer, len integer) returns real
  language sql immutable strict parallel safe
  return (tf * 2.2::float8 / (tf + 1.2::float8 * (0.25::float8 + 0.75::float8 * len / 256::float8)))::real;

-- tf: the lexeme's field-weighted frequency in the chunk; len: the chunk's keyword_len.
create table search_postings (
  term text not null,
  chunk_seq bigint not null,
  impact real not null,
  tf integer not null,
  len integer not null
);
-- Read best first (an index-only scan: a posting is its index entry), and deleted by the whole key,
-- which the deleted chunk's keyword vector and length give back.
create index search_postings_read_idx on search_postings (term, impact desc, chunk_seq) include (tf, len);

-- A chunk's postings.
create function search_chunk_postings(seq bigint, keywords tsvector, keyword_len integer)
  returns table (term text, chunk_seq bigint, impact real, tf integer, len integer)
  language sql immutable strict parallel safe
  as $$
    select p.lexeme, seq, search_posting_impact(p.tf, keyword_len), p.tf, keyword_len
      from (select u.lexeme, search_posting_tf(u.positions, u.weights) as tf
              from unnest(keywords) as u(lexeme, positions, weights)) as p
  $$;

insert into search_postings (term, chunk_seq, impact, tf, len)
  select p.* from search_chunks c, search_chunk_postings(c.seq, c.keywords, c.keyword_len) as p;

-- Keyword retrieval no longer reads the keyword vectors' GIN index.
drop index search_chunks_keywords_idx;

-- The chunks' distinct names (lowercased), for typo-tolerant name matches: a trigram search over
-- these narrow rows, then the chunks of the names it found by their name index, instead of reading
-- every chunk row whose name shares trigrams with the query (retrieve.ts, nameCandidates).
create table search_names (
  name text primary key,
  chunks integer not null check (chunks >= 0)
);
insert into search_names (name, chunks)
  select lower(name), count(*) from search_chunks where name is not null group by lower(name);
create index search_names_trgm_idx on search_names using gin (name gin_trgm_ops);

-- Both kept by one set of triggers (the postings and the distinct names), which fire after
-- search_chunks_added/_removed of 00004 (triggers fire in name order): those lock the search_stats
-- row first, so writers queue there; names are then locked in order.
create function search_lookups_removed() returns trigger language plpgsql as $$
begin
  delete from search_postings p
   using (select g.term, g.chunk_seq, g.impact
            from old_rows o, search_chunk_postings(o.seq, o.keywords, o.keyword_len) as g) as gone
   where p.term = gone.term and p.impact = gone.impact and p.chunk_seq = gone.chunk_seq;
  with gone as (
    select lower(name) as name, count(*) as n from old_rows where name is not null group by lower(name)
  )
  update search_names s set chunks = s.chunks - gone.n from gone where s.name = gone.name;
  delete from search_names where chunks = 0;
  return null;
end
$$;

create function search_lookups_added() returns trigger language plpgsql as $$
begin
  insert into search_postings (term, chunk_seq, impact, tf, len)
    select p.* from new_rows n, search_chunk_postings(n.seq, n.keywords, n.keyword_len) as p;
  insert into search_names as s (name, chunks)
    select lower(name), count(*) from new_rows where name is not null group by lower(name) order by 1
  on conflict (name) do update set chunks = s.chunks + excluded.chunks;
  return null;
end
$$;

create function search_lookups_truncated() returns trigger language plpgsql as $$
begin
  truncate search_postings;
  delete from search_names;
  return null;
end
$$;

create trigger search_lookups_removed after delete on search_chunks
  referencing old table as old_rows for each statement execute function search_lookups_removed();
create trigger search_lookups_added after insert on search_chunks
  referencing new table as new_rows for each statement execute function search_lookups_added();
create trigger search_lookups_updated_removed after update on search_chunks
  referencing old table as old_rows for each statement execute function search_lookups_removed();
create trigger search_lookups_updated_added after update on search_chunks
  referencing new table as new_rows for each statement execute function search_lookups_added();
create trigger search_lookups_truncated after truncate on search_chunks
  for each statement execute function search_lookups_truncated();
