-- A generation counter per embedding model, bumped by every statement that changes that model's
-- vectors (insert, update, delete, truncate of cbo_embeddings), whichever code or process writes.
-- A process that keeps vectors in memory (src/search/vector-scan.ts) reads it before each search and
-- reloads when it moved: invalidation that holds across processes.
create table cbo_embedding_generations (
  model text primary key,
  generation bigint not null check (generation >= 0)
);

insert into cbo_embedding_generations (model, generation)
  select distinct model, 1 from cbo_embeddings;

-- Locks: the search_stats row first (as the search_chunks triggers of 00004 do), then the models'
-- rows in name order. A transaction that writes chunks and embeddings in either order then queues
-- behind another instead of deadlocking with it.
create function bump_embedding_generations(models text[]) returns void language plpgsql as $$
begin
  if cardinality(models) = 0 then
    return;
  end if;
  perform 1 from search_stats for update;
  insert into cbo_embedding_generations as g (model, generation)
    select m, 1 from (select distinct m from unnest(models) as u(m)) as d order by m
  on conflict (model) do update set generation = g.generation + 1;
end
$$;

create function cbo_embeddings_bump_added() returns trigger language plpgsql as $$
begin
  perform bump_embedding_generations(array(select distinct model from new_rows));
  return null;
end
$$;

create function cbo_embeddings_bump_removed() returns trigger language plpgsql as $$
begin
  perform bump_embedding_generations(array(select distinct model from old_rows));
  return null;
end
$$;

create function cbo_embeddings_bump_updated() returns trigger language plpgsql as $$
begin
  perform bump_embedding_generations(
    array(select model from old_rows union select model from new_rows));
  return null;
end
$$;

create function cbo_embeddings_bump_truncated() returns trigger language plpgsql as $$
begin
  perform 1 from search_stats for update;
  update cbo_embedding_generations set generation = generation + 1;
  return null;
end
$$;

create trigger cbo_embeddings_added after insert on cbo_embeddings
  referencing new table as new_rows for each statement execute function cbo_embeddings_bump_added();
create trigger cbo_embeddings_removed after delete on cbo_embeddings
  referencing old table as old_rows for each statement execute function cbo_embeddings_bump_removed();
create trigger cbo_embeddings_updated after update on cbo_embeddings
  referencing old table as old_rows new table as new_rows
  for each statement execute function cbo_embeddings_bump_updated();
create trigger cbo_embeddings_truncated after truncate on cbo_embeddings
  for each statement execute function cbo_embeddings_bump_truncated();
