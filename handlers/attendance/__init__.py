"""Attendance: facilitators mark who attended a session (in chat, or on the dashboard's
session page); the marks feed the evaluation report."""

from __future__ import annotations

from handlers.attendance.commands import router

__all__ = ["router"]
