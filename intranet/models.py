"""Every model, imported once so the mapper and Alembic know the whole schema."""

from intranet.audit.models import AuditEntry
from intranet.auth.models import LoginAttempt, PasswordResetRequest, User
from intranet.beneficiaries.models import Beneficiary, Commune
from intranet.calendar.models import Absence, Appointment, AppointmentEvent, Availability, Resource, Seat
from intranet.exports.models import ExportJob
from intranet.imports.models import ImportBatch, ImportMapping, ImportRecord
from intranet.journeys.models import Journey, JourneyModule
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.notifications.models import OutboxMessage
from intranet.partners.models import Interaction, Partner, PartnerContact, StageChange
from intranet.partners.referrals.models import Referral, ReferralLink, ReferralSubmission
from intranet.programs.models import Module, ModuleAdaptation, Program, ProgramOffer
from intranet.reporting.models import MedianSnapshot, ParticipantRule
from intranet.selfbooking.models import BookingLink
from intranet.ticks import PeriodicRun
from intranet.volunteers.models import Qualification, Training, TrainingEnrolment, TrainingSession, VolunteerProfile

__all__ = ["Absence", "Appointment", "AppointmentEvent", "Association", "AuditEntry", "Availability", "Beneficiary",
           "BookingLink", "Commune", "ExportJob", "ImportBatch", "ImportMapping", "ImportRecord", "Interaction", "Journey",
           "JourneyModule", "LoginAttempt", "MedianSnapshot", "Membership", "Module", "ModuleAdaptation", "OutboxMessage", "Partner",
           "PartnerContact", "ParticipantRule", "PasswordResetRequest", "PeriodicRun", "Program", "ProgramOffer", "Qualification",
           "Referral", "ReferralLink", "ReferralSubmission", "Resource", "Seat", "StageChange", "Training",
           "TrainingEnrolment", "TrainingSession", "User", "VolunteerProfile"]
