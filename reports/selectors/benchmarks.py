"""Benchmarks: the national figures for a school's phase and the local figures it has entered."""

from __future__ import annotations

from registers.models import School

from ..models import BenchmarkPhase, LocalBenchmark, NationalBenchmark, phase_for_school


def benchmarks_for(school: School):
    """The latest national figures for the school's phase (falling back to all schools), and the
    latest local figures the school has entered."""
    phase = phase_for_school(school)
    national = (
        NationalBenchmark.objects.filter(phase=phase).order_by("-academic_year").first()
        or NationalBenchmark.objects.filter(phase=BenchmarkPhase.ALL).order_by("-academic_year").first()
    )
    local = LocalBenchmark.objects.filter(school=school).order_by("-academic_year").first()
    return [b for b in (national, local) if b is not None]


def national_benchmarks():
    """The national figures, shared by every school."""
    return NationalBenchmark.objects.all()


def local_benchmarks(school: School):
    """The school's own local comparisons."""
    return LocalBenchmark.objects.filter(school=school)
