"""The sampler: whole batches from one bucket, seeded epochs, exact resumes, and the effective-batch check."""

from __future__ import annotations

import pytest

from simpletuner.services.trainer.engine.data.sampler import (
    BatchPlan,
    BatchSizeError,
    Bucket,
    Sampler,
    check_effective_batch,
)

# two datasets: "photos" with a square and a wide bucket, "art" with one portrait bucket
BUCKETS = [
    Bucket("photos", (64, 64), tuple(range(0, 10))),
    Bucket("photos", (128, 64), tuple(range(10, 17))),
    Bucket("art", (64, 128), tuple(range(17, 23))),
]
PLAN = BatchPlan({"photos": 2, "art": 3}, {"photos": 0, "art": 0})


def _bucket_of(index: int) -> Bucket:
    return next(bucket for bucket in BUCKETS if index in bucket.samples)


def test_every_batch_comes_from_one_bucket_of_one_dataset_at_its_batch_size() -> None:
    sampler = Sampler(BUCKETS, PLAN, seed=1)
    for batch in sampler.epoch(0):
        buckets = {_bucket_of(index) for index in batch}
        assert len(buckets) == 1
        assert len(batch) == PLAN.batch_sizes[buckets.pop().dataset_id]


def test_an_epoch_visits_each_sample_at_most_once_and_counts_its_batches() -> None:
    sampler = Sampler(BUCKETS, PLAN, seed=1)
    batches = sampler.epoch(0)
    seen = [index for batch in batches for index in batch]
    assert len(seen) == len(set(seen))
    # 10 // 2 + 7 // 2 + 6 // 3 whole batches; leftovers wait for the next epoch's shuffle
    assert sampler.batches_per_epoch == len(batches) == 5 + 3 + 2


def test_the_order_is_a_function_of_seed_and_epoch() -> None:
    first, again = Sampler(BUCKETS, PLAN, seed=1), Sampler(BUCKETS, PLAN, seed=1)
    assert first.epoch(0) == again.epoch(0)
    assert first.epoch(0) != first.epoch(1)
    assert Sampler(BUCKETS, PLAN, seed=2).epoch(0) != first.epoch(0)


@pytest.mark.parametrize("start", [0, 1, 4, 9, 10])
def test_resuming_at_a_batch_yields_what_the_full_run_yielded_from_there(start: int) -> None:
    full = list(Sampler(BUCKETS, PLAN, seed=5).iterate(3))
    resumed = list(Sampler(BUCKETS, PLAN, seed=5).iterate(3, start_batch=start))  # a fresh process
    assert resumed == full[start:]


def test_repeats_add_whole_shuffled_passes_over_a_dataset() -> None:
    plan = BatchPlan(PLAN.batch_sizes, {"photos": 0, "art": 2})
    sampler = Sampler(BUCKETS, plan, seed=1)
    art = [index for batch in sampler.epoch(0) for index in batch if _bucket_of(index).dataset_id == "art"]
    assert sorted(art) == sorted(list(range(17, 23)) * 3)
    assert sampler.batches_per_epoch == 5 + 3 + 6


def test_a_bucket_smaller_than_a_batch_is_skipped_with_a_warning() -> None:
    buckets = [*BUCKETS, Bucket("art", (192, 64), (23,))]
    sampler = Sampler(buckets, PLAN, seed=1)
    assert all(23 not in batch for batch in sampler.epoch(0))
    (warning,) = sampler.warnings
    assert "'art'" in warning and "192x64 has 1 sample(s), fewer than its batch size 3" in warning


def test_a_dataset_smaller_than_the_effective_batch_fails_with_the_seeds_three_fixes() -> None:
    # 4 per GPU × 8 GPUs × 1 = 32 samples per step, but the largest photos bucket holds 10
    with pytest.raises(BatchSizeError) as caught:
        check_effective_batch(BUCKETS, BatchPlan({"photos": 4, "art": 1}, {}), 8, 1, {}, False)
    message = str(caught.value)
    assert "'photos' is smaller than the effective batch size" in message
    assert "train_batch_size 4 × 8 GPU(s) × gradient_accumulation_steps 1 = 32" in message
    assert "largest aspect bucket (64x64) holds 10" in message
    assert "Lower the batch size" in message and '"repeats": 3' in message
    assert "--allow_dataset_oversubscription" in message


def test_oversubscription_raises_repeats_just_enough_and_warns() -> None:
    plan = BatchPlan({"photos": 4, "art": 1}, {"photos": 0, "art": 0})
    repeats, warnings = check_effective_batch(BUCKETS, plan, 8, 1, {}, True)
    assert repeats == {"photos": 3, "art": 1}  # photos: 10 × 4 = 40 ≥ 32 (3 passes = 30 would not); art: 12 ≥ 8
    assert any("'photos': repeats raised from 0 to 3" in warning for warning in warnings)


def test_gradient_accumulation_counts_towards_the_effective_batch() -> None:
    plan = BatchPlan({"photos": 1, "art": 1}, {})
    assert check_effective_batch(BUCKETS, plan, 1, 6, {}, False) == ({}, [])
    with pytest.raises(BatchSizeError, match="'photos'.*gradient_accumulation_steps 11 = 11"):
        check_effective_batch(BUCKETS, plan, 1, 11, {}, False)


def test_repeats_written_in_the_file_are_not_overridden_by_oversubscription() -> None:
    plan = BatchPlan({"photos": 4, "art": 1}, {"photos": 1, "art": 5})
    with pytest.raises(BatchSizeError, match="repeats is set in the dataloader file"):
        check_effective_batch(BUCKETS, plan, 8, 1, {"photos": True}, True)
