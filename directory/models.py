"""The network's structure, its staff, its patients and the recipients of its documents."""

import re
import unicodedata
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from common.models import BaseModel

from . import nam as nam_rules

POSTAL_CODE_VALIDATOR = RegexValidator(
    r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d$",
    _("Enter a Canadian postal code such as H2X 1Y4."),
)


def normalize_postal_code(value: str) -> str:
    compact = re.sub(r"\s", "", value or "").upper()
    return f"{compact[:3]} {compact[3:]}" if len(compact) == 6 else (value or "").strip().upper()


class PostalCodeField(models.CharField):
    """A Canadian postal code, stored as `H2X 1Y4` however it was typed."""

    default_validators = [POSTAL_CODE_VALIDATOR]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return normalize_postal_code(super().to_python(value))


def searchable(text: str) -> str:
    """Lower case without accents, so that `cote` finds Côté."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class MeetingPlatform(models.TextChoices):
    TEAMS = "teams", _("Microsoft Teams")
    ZOOM = "zoom", _("Zoom")
    JITSI = "jitsi", _("Jitsi Meet")
    REACTS = "reacts", _("REACTS")


class Establishment(BaseModel):
    """A CISSS, a CIUSSS or a non-merged establishment, named as the AH forms print it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    phone = PhoneNumberField(_("phone"), blank=True)

    class Meta:
        verbose_name = _("establishment")
        verbose_name_plural = _("establishments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Installation(BaseModel):
    """A site of an establishment (a hospital, a CLSC)."""

    establishment = models.ForeignKey(
        Establishment, verbose_name=_("establishment"), on_delete=models.PROTECT, related_name="installations"
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=250, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = PostalCodeField(_("postal code"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["establishment", "name"], name="installation_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ClinicQuerySet(models.QuerySet):
    def with_structure(self) -> "ClinicQuerySet":
        return self.select_related("installation__establishment")


class Clinic(BaseModel):
    """A service of an installation (oncology, radio-oncology...), where professionals work."""

    installation = models.ForeignKey(
        Installation, verbose_name=_("installation"), on_delete=models.PROTECT, related_name="clinics"
    )
    name = models.CharField(_("name"), max_length=200)
    phone = PhoneNumberField(_("phone"), blank=True)
    default_platform = models.CharField(
        _("default meeting platform"),
        max_length=10,
        choices=MeetingPlatform.choices,
        default=MeetingPlatform.TEAMS,
    )
    support_phone = PhoneNumberField(
        _("technical support phone"),
        blank=True,
        help_text=_("Given to patients who cannot connect to a meeting."),
    )
    reminder_hours_before = models.PositiveIntegerField(
        _("reminder, hours before the meeting"),
        default=24,
        help_text=_("Participants get a reminder this many hours before; 0 sends none."),
    )

    objects = ClinicQuerySet.as_manager()

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["installation", "name"], name="clinic_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.installation.name})"

    @property
    def establishment(self) -> Establishment:
        return self.installation.establishment


class Profession(models.TextChoices):
    NURSE = "nurse", _("Nurse")
    PIVOT_NURSE_ONCOLOGY = "pivot_nurse_oncology", _("Oncology pivot nurse")
    NURSE_PRACTITIONER = "nurse_practitioner", _("Nurse practitioner")
    PHYSICIAN = "physician", _("Physician")
    PHARMACIST = "pharmacist", _("Pharmacist")
    ARCHIVIST = "archivist", _("Medical archivist")
    MANAGER = "manager", _("Manager")
    OTHER = "other", _("Other")


class User(AbstractUser):
    """A member of staff. Administrators are superusers; everyone else acts through memberships."""

    public_id = models.UUIDField(_("public identifier"), default=uuid.uuid4, unique=True, editable=False)
    profession = models.CharField(_("profession"), max_length=30, choices=Profession.choices, blank=True)
    practice_number = models.CharField(
        _("practice or licence number"),
        max_length=20,
        blank=True,
        help_text=_("Printed with the signature on notes and prescriptions."),
    )
    phone = PhoneNumberField(_("phone"), blank=True)
    preferred_language = models.CharField(
        _("interface language"), max_length=2, choices=settings.LANGUAGES, default="fr"
    )
    # Raised when the person signs out: every session opened before (another workstation, a
    # forgotten browser) ends at its next request.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ClinicMembership(BaseModel):
    """What a person does in a clinic. An archivist or a manager covers the whole establishment."""

    class Role(models.TextChoices):
        PROFESSIONAL = "professional", _("Professional")
        ARCHIVIST = "archivist", _("Archivist")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("clinic membership")
        verbose_name_plural = _("clinic memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.clinic.name}"


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    X = "X", _("X (non-binary)")


class Language(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")


class FallbackIdentifierKind(models.TextChoices):
    MOTHER_NAME = "mother_name", _("Mother's name")
    FATHER_NAME = "father_name", _("Father's name")
    ADDRESS = "address", _("Address")
    PHONE = "phone", _("Phone number")


class TabletLoan(models.TextChoices):
    NOT_NEEDED = "not_needed", _("Not needed")
    NEEDED = "needed", _("Needed")
    LENT = "lent", _("Tablet lent")


class PatientQuerySet(models.QuerySet):
    def search(self, text: str) -> "PatientQuerySet":
        """By file number, NAM (with or without spaces) or names in any order, accents ignored."""
        text = (text or "").strip()
        if not text:
            return self
        condition = Q(file_number__iexact=text)
        compact = nam_rules.normalize(text)
        if nam_rules.NAM_PATTERN.match(compact):
            condition |= Q(nam=compact)
        words = searchable(text).replace(",", " ").split()
        # Names hold no digits: a NAM or a file number is not also looked for among 200,000 names
        # (that condition alone made PostgreSQL read every patient).
        if words and not any(character.isdigit() for character in text):
            name_condition = Q()
            for word in words:
                name_condition &= Q(search_name__contains=word)
            condition |= name_condition
        return self.filter(condition)

    def for_listing(self) -> "PatientQuerySet":
        # By the unaccented name, so that Bélanger comes before Bergeron on every database.
        return self.select_related("establishment").order_by("search_name", "id")


class Patient(BaseModel):
    """A patient of an establishment, followed by one or more of its clinics."""

    establishment = models.ForeignKey(
        Establishment, verbose_name=_("establishment"), on_delete=models.PROTECT, related_name="patients"
    )
    clinics = models.ManyToManyField(Clinic, verbose_name=_("followed by"), related_name="patients")
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    nam = models.CharField(
        _("health insurance number (NAM)"),
        max_length=12,
        blank=True,
        help_text=_("As printed on the RAMQ card, for example QWEA 1001 0110."),
    )
    nam_check_digit_confirmed = models.BooleanField(
        _("I read this NAM from the card"),
        default=False,
        help_text=_("Tick only if the portal doubts the check digit and the number is exactly as printed."),
    )
    fallback_identifier_kind = models.CharField(
        _("other identifier"), max_length=20, choices=FallbackIdentifierKind.choices, blank=True
    )
    fallback_identifier = models.CharField(
        _("other identifier value"),
        max_length=200,
        blank=True,
        help_text=_("Required when the patient has no NAM."),
    )
    file_number = models.CharField(
        _("file number"),
        max_length=20,
        validators=[RegexValidator(r"^[0-9A-Za-z-]+$", _("Use digits, letters and hyphens only."))],
    )
    phone = PhoneNumberField(_("phone"), blank=True)
    alternative_phone = PhoneNumberField(_("alternative phone"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.FRENCH
    )
    postal_code = PostalCodeField(_("postal code"), blank=True)
    internet_ok = models.BooleanField(_("internet of at least 10 Mbps"), null=True, blank=True)
    device_ok = models.BooleanField(_("device with camera and microphone"), null=True, blank=True)
    tablet_loan = models.CharField(
        _("tablet loan"), max_length=12, choices=TabletLoan.choices, default=TabletLoan.NOT_NEEDED
    )
    travel_distance_km = models.PositiveIntegerField(
        _("distance to the installation (km, one way)"),
        null=True,
        blank=True,
        help_text=_("What a visit in person would make the patient travel; the managers' figures use it."),
    )
    imaging_lab = models.ForeignKey(
        "Recipient",
        verbose_name=_("imaging lab chosen by the patient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind__in": ["imaging_lab", "radiology_service"]},
        help_text=_("An imaging order goes only to the lab the patient chose."),
    )
    # Derived from the names on every save, so that search ignores accents on every database.
    search_name = models.CharField(max_length=210, editable=False, db_index=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "file_number"],
                name="patient_unique_file_number",
                violation_error_message=_("Another patient of this establishment already has this file number."),
            ),
            models.UniqueConstraint(
                fields=["establishment", "nam"],
                condition=~Q(nam=""),
                name="patient_unique_nam",
                violation_error_message=_("Another patient of this establishment already has this NAM."),
            ),
            models.CheckConstraint(
                condition=~Q(nam="") | ~Q(fallback_identifier=""),
                name="patient_nam_or_fallback",
                violation_error_message=_(
                    "Without a NAM, give another identifier: mother's or father's name, address or phone."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def nam_display(self) -> str:
        return nam_rules.display(self.nam)

    def save(self, *args, **kwargs):
        self.search_name = searchable(f"{self.last_name} {self.first_name}")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.last_name = " ".join(self.last_name.split())
        self.first_name = " ".join(self.first_name.split())
        self.nam = nam_rules.normalize(self.nam)
        self.fallback_identifier = self.fallback_identifier.strip()
        self.file_number = self.file_number.strip().upper()
        self.search_name = searchable(f"{self.last_name} {self.first_name}")
        errors: dict[str, str] = {}
        if self.nam:
            errors.update(self._nam_errors())
        elif not self.fallback_identifier:
            errors["fallback_identifier"] = _(
                "Without a NAM, give another identifier: mother's or father's name, address or phone."
            )
        if self.fallback_identifier and not self.fallback_identifier_kind:
            errors["fallback_identifier_kind"] = _("Say what kind of identifier this is.")
        errors.update({field: message for field, message in self._duplicate_errors().items() if field not in errors})
        if errors:
            raise ValidationError(errors)

    def _duplicate_errors(self) -> dict[str, str]:
        # The database constraints stay the last word (two saves racing); this gives the field its message.
        if self.establishment_id is None:
            return {}
        others = Patient.objects.filter(establishment_id=self.establishment_id).exclude(pk=self.pk)
        errors = {}
        if self.file_number and others.filter(file_number=self.file_number).exists():
            errors["file_number"] = _("Another patient of this establishment already has this file number.")
        if self.nam and others.filter(nam=self.nam).exists():
            errors["nam"] = _("Another patient of this establishment already has this NAM.")
        return errors

    def _nam_errors(self) -> dict[str, str]:
        try:
            decoded = nam_rules.decode(self.nam)
        except nam_rules.NamError as error:
            if error.code == "format":
                return {
                    "nam": _(
                        "A NAM has 12 characters: 4 letters, 6 digits of the birth date, a digit or letter, "
                        "and a last digit, e.g. QWEA 1001 0110."
                    )
                }
            return {"nam": _("This NAM holds an impossible birth date: check the digits after the 4 letters.")}
        if self.date_of_birth and not nam_rules.birth_dates_match(decoded, self.date_of_birth):
            return {
                "nam": _(
                    "This NAM is for someone born on %(nam_date)s, but the date of birth entered is %(birth_date)s."
                )
                % {
                    "nam_date": decoded.birth_date.strftime("%Y-%m-%d"),
                    "birth_date": self.date_of_birth.strftime("%Y-%m-%d"),
                }
            }
        if not decoded.check_digit_ok and not self.nam_check_digit_confirmed:
            return {
                "nam": _(
                    "The last digit of this NAM does not match the others. Read the number again from the card; "
                    "if it is exactly as printed, tick “I read this NAM from the card”."
                )
            }
        return {}

    def nam_warnings(self) -> list[str]:
        """Doubts that do not block saving: the card may be right and our other facts out of date."""
        if not self.nam:
            return []
        try:
            decoded = nam_rules.decode(self.nam)
        except nam_rules.NamError:
            return []
        warnings = []
        if self.sex in (Sex.FEMALE, Sex.MALE) and decoded.sex_on_card != self.sex:
            warnings.append(_("The NAM indicates a different sex from the one recorded; check the card if in doubt."))
        if self.nam[:4] != nam_rules.name_letters(self.last_name, self.first_name):
            warnings.append(
                _(
                    "The NAM's letters do not match the names entered (they come from the family name at birth "
                    "and the first name)."
                )
            )
        return warnings


class SecureEmailDomainQuerySet(models.QuerySet):
    def covers(self, email: str) -> bool:
        """True when the address is on a secure domain of the network or one of its subdomains."""
        domain = email.rsplit("@", 1)[-1].lower() if "@" in (email or "") else ""
        if not domain:
            return False
        candidates = {".".join(domain.split(".")[i:]) for i in range(len(domain.split(".")) - 1)}
        return self.filter(domain__in=candidates).exists()


class SecureEmailDomain(BaseModel):
    """A domain whose mail stays inside the network (clinical information may go there by email)."""

    domain = models.CharField(
        _("domain"),
        max_length=200,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", _("Enter a domain such as ssss.gouv.qc.ca."))],
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    objects = SecureEmailDomainQuerySet.as_manager()

    class Meta:
        verbose_name = _("secure email domain")
        verbose_name_plural = _("secure email domains")
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def clean(self) -> None:
        self.domain = self.domain.strip().lower()


class Recipient(BaseModel):
    """Somewhere documents go: a pharmacy, an imaging lab, a radiology service, medical archives."""

    class Kind(models.TextChoices):
        COMMUNITY_PHARMACY = "community_pharmacy", _("Community pharmacy")
        ESTABLISHMENT_PHARMACY = "establishment_pharmacy", _("Establishment pharmacy")
        IMAGING_LAB = "imaging_lab", _("Medical imaging laboratory")
        RADIOLOGY_SERVICE = "radiology_service", _("Radiology and nuclear medicine service")
        MEDICAL_ARCHIVES = "medical_archives", _("Medical archives")
        NETWORK_UNIT = "network_unit", _("Unit of the health network")
        PROFESSIONAL = "professional", _("Professional outside the establishment")

    ESTABLISHMENT_KINDS = (Kind.ESTABLISHMENT_PHARMACY, Kind.MEDICAL_ARCHIVES)
    # Organizations a document is sent to; the patient is a recipient too, but not a row here.
    PHARMACY_KINDS = (Kind.COMMUNITY_PHARMACY, Kind.ESTABLISHMENT_PHARMACY)
    IMAGING_KINDS = (Kind.IMAGING_LAB, Kind.RADIOLOGY_SERVICE)

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    establishment = models.ForeignKey(
        Establishment,
        verbose_name=_("establishment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recipients",
        help_text=_("Required for an establishment's pharmacy and its medical archives."),
    )
    address = models.CharField(_("address"), max_length=250, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = PostalCodeField(_("postal code"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    fax = PhoneNumberField(_("fax"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["establishment_pharmacy", "medical_archives"]) | Q(establishment__isnull=False),
                name="recipient_establishment_kinds_have_establishment",
                violation_error_message=_("An establishment's pharmacy or archives must name the establishment."),
            ),
            models.CheckConstraint(
                condition=~Q(fax="") | ~Q(email=""),
                name="recipient_reachable",
                violation_error_message=_("Give a fax number or an email address: documents must reach them."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class EmergencyAccessQuerySet(models.QuerySet):
    def active(self, at=None) -> "EmergencyAccessQuerySet":
        return self.filter(expires_at__gt=at or timezone.now())

    def to_review(self) -> "EmergencyAccessQuerySet":
        return self.filter(reviewed_at__isnull=True)

    def for_listing(self) -> "EmergencyAccessQuerySet":
        # Unreviewed first, then the newest: the archivist's work comes to the top.
        return self.select_related("user", "patient__establishment", "reviewed_by").order_by(
            F("reviewed_at").asc(nulls_first=True), "-granted_at", "-id"
        )


class EmergencyAccess(BaseModel):
    """A professional opened, with a stated reason, the record of a patient outside her clinics.

    Read access only, until `expires_at`. The grant is evidence: once written, only its review fields
    change (by the archivists of the patient's establishment).
    """

    REASON_MIN_LENGTH = 20

    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("until"))
    reviewed_by = models.ForeignKey(
        User, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)

    objects = EmergencyAccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "expires_at"], name="emergency_access_user_expiry")]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("granted_at")), name="emergency_access_expires_after"),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True, reviewed_by__isnull=True)
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="emergency_access_review_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.patient.file_number} — {self.granted_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None
