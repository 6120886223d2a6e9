-- A generation counter per embedding model, bumped by every statement that changes that model's
-- vectors (insert, update, delete, truncate of cbo_embeddings), whichever code or process writes,
-- and a log of which vectors each generation changed. A process that keeps vectors in memory
-- (src/search/vector-scan.ts) reads the counter before each search; when it moved, it reads only the
-- vectors the log names since its own generation, or everything when the log no longer covers that.
create table cbo_embedding_generations (
  model text primary key,
  generation bigint not null check (generation >= 0)
);

create table cbo_embedding_changes (
  model text not null,
  generation bigint not null,
  owner_id text not null,
  primary key (model, generation, owner_id)
);

insert into cbo_embedding_generations (model, generation)
  select distinct model, 1 from cbo_embeddings;

-- models[i] and owner_ids[i]: the rows a statement changed. Locks: the search_stats row first (as the
-- search_chunks triggers of 00004 do), then the models' rows in name order, so a transaction that
-- writes chunks and embeddings in either order queues behind another instead of deadlocking with
-- it. The log keeps the last 100 generations of each model; a reader further behind loads everything.
create function bump_embedding_generations(models text[], owner_ids text[]) returns void
  language plpgsql as $$
begin
  if coalesce(cardinality(models), 0) = 0 then
    return;
  end if;
  perform 1 from search_stats for update;
  with bumped as (
    insert into cbo_embedding_generations as g (model, generation)
      select m, 1 from (select distinct m from unnest(models) as u(m)) as d order by m
    on conflict (model) do update set generation = g.generation + 1
    returning g.model, g.generation
  ), logged as (
    insert into cbo_embedding_changes (model, generation, owner_id)
      select distinct c.model, b.generation, c.owner_id
        from unnest(models, owner_ids) as c(model, owner_id) join bumped b on b.model = c.model
  )
  delete from cbo_embedding_changes x using bumped b
   where x.model = b.model and x.generation <= b.generation - 100;
end
$$;

create function cbo_embeddings_bump_added() returns trigger language plpgsql as $$
begin
  perform bump_embedding_generations(array_agg(model), array_agg(owner_id)) from new_rows;
  return null;
end
$$;

create function cbo_embeddings_bump_removed() returns trigger language plpgsql as $$
begin
  perform bump_embedding_generations(array_agg(model), array_agg(owner_id)) from old_rows;
  return null;
end
$$;

create function cbo_embeddings_bump_updated() returns trigger language plpgsql as $$
begin
  perform bump_embedding_generations(array_agg(model), array_agg(owner_id))
     from (select model, owner_id from old_rows union select model, owner_id from new_rows) as changed;
  return null;
end
$$;

-- A truncate names no rows: every model moves and the log is emptied, so readers load everything.
create function cbo_embeddings_bump_truncated() returns trigger language plpgsql as $$
begin
  perform 1 from search_stats for update;
  update cbo_embedding_generations set generation = generation + 1;
  delete from cbo_embedding_changes;
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
