"""An incident-response service, modelled on the telemetry page of Mattermost's Incident
Response plugin: it tracks who did what to incidents, checklists and playbooks, and never
their content (titles, names, checklist texts)."""
