# hdab in English: on request (a language switch, or the browser's Accept-Language).
# Every message is also in sv.ftl (the tests require it).

## The frame around every page

site-name = hdab
site-authority = Socialstyrelsen, health data access body
skip-to-content = Skip to content
nav-label = Main menu
nav-catalogue = Catalogue
nav-register = Register of decisions
nav-optout = Opting out
nav-my-datasets = My datasets
nav-my-applications = My applications
nav-my-permits = My permits
nav-case-queue = Case queue
nav-permits = Permits
nav-outputs = Output requests
nav-login = Log in
nav-logout = Log out { $user }
language-switch = På svenska
language-switch-label = Language

## The home page

home-title = Health data access body
home-heading = Health data for research and public health, under EHDS
home-intro = This service is the Swedish health data access body's catalogue and case system under the European Health Data Space regulation ((EU) 2025/327).
home-everyone = <strong>Everyone</strong> can <a href="/catalog">browse the catalogue</a> of health datasets, read the <a href="/register">register of applications and decisions</a>, and learn <a href="/optout">how to opt out</a> of secondary use.
home-holders = <strong>Data holders</strong> describe their datasets, confirm them every year and upload data when asked.
home-applicants = <strong>Researchers and other applicants</strong> apply for access, follow their case and receive pseudonymised extracts in a secure processing environment.
home-officers = <strong>Case officers</strong> work the queue within the legal deadlines and decide.
home-datasets = { $count ->
    [one] { $count } dataset in the catalogue
   *[other] { $count } datasets in the catalogue
}
home-decisions = { $count ->
    [one] { $count } decision published
   *[other] { $count } decisions published
}

## Log in

login-title = Log in
login-user = User id
login-password = Password
login-submit = Log in
login-note = Accounts are created by the HDAB. Agencies that sign in through an identity provider (SITHS, Freja eID, BankID) use the same sessions.

## The error page

error-forbidden = Not allowed
error-not-found = Not found
error-conflict = Not possible now
error-correct = Please correct this
error-other = Something went wrong
error-back = Use your browser's back button to correct the form, or go to the <a href="/">start page</a>.

## Opting out

optout-title = Opting out of secondary use
optout-heading = You can say no to the use of your health data for research
optout-intro = Under the European Health Data Space regulation (Art. 71) you may opt out of the secondary use of your electronic health data — for research, statistics, policy making and care improvement. You do not have to give a reason, and you can change your mind at any time.
optout-what-heading = What opting out does
optout-what-removed = From the day your opt-out is registered, you are removed from every new extract this health data access body delivers, and from every extract delivered again under an existing permit.
optout-what-care = Your care is not affected. Doctors and nurses who treat you still see your records.
optout-what-delivered = Data already delivered before your opt-out cannot be recalled, but it is pseudonymised: the researchers never see your name or personal identity number.
optout-what-hash = The registry keeps only a keyed hash of your personal identity number, never the number itself.
optout-how-heading = How to opt out
optout-how-1177 = Log in to the e-service at 1177 with BankID or Freja eID and choose <em>Sekundär användning av hälsodata</em>, or
optout-how-letter = send a signed letter to Socialstyrelsen, Registerservice, 106 30 Stockholm, with your personal identity number or coordination number.
optout-confirmation = You get a confirmation when the opt-out is registered. The same way, you can withdraw it and take part again.
optout-exceptions-heading = Some uses remain
optout-exceptions = Member states may let certain uses go ahead despite an opt-out, for important public interest, under strict safeguards (Art. 71(4)). Any such use is published in the <a href="/register">register of decisions</a>.
optout-no-exception = The law makes no exception to the opt-out here: your opt-out applies to every permit, and no one who has opted out is in any data the health data access body delivers. Should the law ever provide an exception (EHDS Art. 71(4)), each use would be published in the <a href="/register">register of decisions</a>.
optout-exception-law = The law allows an exception for important reasons of public interest under: { $bases }. A decision maker may then grant a permit the exception, stating the legal basis, the public interest and why the purpose cannot be met otherwise; for that permit alone your opt-out is not applied.

## The catalogue

catalog-title = Catalogue
catalog-heading = National catalogue of health datasets
catalog-words = Words
catalog-category = Health category
catalog-holder = Holder
catalog-coding-system = Coding system
catalog-search = Search
catalog-count = { $count ->
    [one] { $count } dataset.
   *[other] { $count } datasets.
}
catalog-dataset = Dataset
catalog-coverage = Coverage
catalog-coding = Coding
catalog-version = Version

## Words shared by many pages

not-stated = not stated
ongoing = ongoing
none = none
nobody-yet = nobody yet
word-any = any
yes = yes
no = no
col-case = Case
col-title = Title
col-organisation = Organisation
col-state = State
col-permit = Permit
col-application = Application
col-datasets = Datasets
col-dataset = Dataset
col-variables = Variables
col-valid-until = Valid until
col-status = Status
col-when = When
col-who = Who
col-rows = Rows
col-bytes = Bytes
col-file = File
col-reason = Reason
col-version = Version
history = History
reason = Reason
comment-optional = Comment (optional)

## Case states, purposes, commands and other words of the domain

state-draft = draft
state-submitted = submitted
state-incomplete = returned for completion
state-under_review = under review
state-approved = approved
state-rejected = rejected
state-withdrawn = withdrawn
purpose-public_health = (a) public interest in public and occupational health
purpose-policy_making = (b) policy making and regulation
purpose-official_statistics = (c) official statistics
purpose-education = (d) education and teaching
purpose-scientific_research = (e) scientific research
purpose-care_improvement = (f) improvement of care and treatment
event-submit = submitted
event-take = taken
event-assign = assigned
event-return = returned
event-extend = deadline extended
event-approve = approved
event-reject = rejected
event-withdraw = withdrawn
command-submit = Submit the application
command-take = Take the case
command-assign = Give the case to an officer
command-return = Return to the applicant as incomplete
command-extend = Extend the deadline (once)
command-approve = Approve
command-reject = Reject
command-withdraw = Withdraw the application
type-person_id = person identifier
type-date = date
type-code = code
type-integer = whole number
type-decimal = decimal number
type-text = text
type-unknown = unknown
sensitivity-direct_identifier = direct identifier
sensitivity-quasi_identifier = quasi-identifier
sensitivity-sensitive = sensitive
sensitivity-other = other
sensitivity-unknown = unknown
form-pseudonymised = pseudonymised
form-pseudonymised-because = pseudonymised — { $reason }
form-anonymised = anonymised
permit-valid = valid
permit-expired = expired
permit-revoked = revoked { $date }
output-state-checked = checked, waiting for review
output-state-under_review = under review
output-state-approved = approved
output-state-released = released
output-state-returned = returned
output-state-rejected = rejected
output-step-submit = submitted
output-step-justify = justified
output-step-approve = approved
output-step-return = returned
output-step-reject = rejected
output-step-release = released
output-command-approve = Approve
output-command-return = Return to the researcher
output-command-reject = Reject
verdict-pass = passes
verdict-needs_justification = needs a justification
verdict-fail = may not leave
rule-threshold = small count
rule-zero = zero
rule-dominance = dominance
rule-p_ratio = p% rule
rule-differencing = differencing
rule-missing_contributors = no contributor counts
rule-person_id = personal identity number
rule-pseudonym = pseudonym
rule-record_level = record-level data
rule-unreadable = unreadable

## Deadlines (EHDS Art. 68)

deadline-decided = decided { $date }
deadline-paused = paused while with the applicant (due { $date } if completed now)
deadline-overdue = overdue since { $date } ({ $days } days)
deadline-due = decision due { $date } ({ $days } days left)
deadline-due-extended = decision due { $date } ({ $days } days left, extended)
deadline-not-submitted = not submitted
deadline-paused-short = paused

## Cohorts, windows and study populations in words

cohort-everyone = everyone in the dataset
cohort-every-row = every row
cohort-code-prefix = { $columns } starts with { $prefixes }
cohort-date-from-to = { $column } from { $from } to { $to }
cohort-date-from = { $column } from { $from }
cohort-date-to = { $column } until { $to }
cohort-date-any = { $column } is any date
cohort-age-between = aged { $min } to { $max } on { $date }
cohort-age-min = aged at least { $min } on { $date }
cohort-age-max = aged at most { $max } on { $date }
cohort-age-any = of any age on { $date }
cohort-or = { " " }or{ " " }
cohort-and = { " " }and{ " " }
window-in-words = only rows whose '{ $column }' lies from { $from } to { $to } days from the person's index date
precision-day = day
precision-month = month
precision-year = year
population-cases = Cases: people with a row of '{ $dataset }' where { $conditions }; index date: the first such '{ $column }' (delivered to the { $precision }).
population-excluded = Excluded: cases with a row where { $conditions } within { $days } days before the index date.
population-controls = Controls: { $count } per case from '{ $dataset }', matched on sex and birth year, alive and resident at the case's index date, never a case; drawn reproducibly without replacement.
population-controls-county = Controls: { $count } per case from '{ $dataset }', matched on sex, birth year and county, alive and resident at the case's index date, never a case; drawn reproducibly without replacement.

## Notices after a form

notice-registered = The description was saved.
notice-confirmed = Thank you: the description is confirmed for another year.
notice-uploaded = The upload passed its checks and was kept.
notice-saved = The application was saved.
notice-done = Done.
notice-extracted = The extraction was delivered into the SPE.
notice-submitted = The files were checked and wait for two output checkers.
notice-released = Released: the files are in the researcher's outbox.

## A dataset's public page

dataset-id = Dataset id
dataset-holder = Holder
dataset-version = Version
dataset-version-registered = { $version }, registered { $date }
dataset-temporal = Temporal coverage
dataset-records = Records
dataset-individuals = Individuals
dataset-coding = Coding systems
dataset-categories = Health categories
dataset-legal-basis = Legal basis
dataset-contact = Contact
dataset-variables = Variables
dataset-variable-name = Name
dataset-variable-type = Type
dataset-variable-sensitivity = Sensitivity
dataset-variable-code-system = Code system
dataset-variable-description = Description
dataset-versions = Versions
dataset-version-line = Version { $version } — { $date } by { $user }
dataset-other-title = In Swedish:

## The public register

register-title = Register of applications and decisions
register-intro = Every application for access to health data and its decision are published here (EHDS Art. 57(1)(i)).
register-received = Received
register-purpose = Purpose
register-decision = Decision
register-decision-line = { $decision } { $date }: { $reason }
register-releases = Results released from the secure processing environment
register-releases-intro = Each release: the permit, the day, and each file's description and checksum. Never the contents.
register-no-releases = Nothing has been released yet.
register-release = Release
register-released = Released
register-files = Files
register-descriptions = Descriptions and checksums
register-overdue = Permits without a published result
register-overdue-intro = Results of secondary use are to be published within 18 months of the permit's end (EHDS Art. 61(4)).
register-no-overdue = None is overdue.
register-ended = Ended
register-publication-due = Publication due
register-checkpoint = Audit log checkpoint
register-checkpoint-text = Every action in this service is recorded in a hash-chained audit log. On { $date } the log held <strong>{ $count }</strong> entries, the last with hash <code>{ $hash }</code>; signed (Ed25519) <code class="wrap">{ $signature }</code> with the public key <code>{ $key }</code>. Keep a copy: a log that no longer holds that entry was cut off. Also at <a href="/api/v1/audit/checkpoint">/api/v1/audit/checkpoint</a>.
register-no-checkpoint = No checkpoint has been signed yet.

## The case queue

queue-title = Case queue
queue-intro = Open cases, overdue first, then by days left to the decision deadline (EHDS Art. 68).
queue-officer = Officer
queue-days-left = Days left

## A case

case-state = State
case-with-officer = with officer { $officer }
case-applicant = Applicant
case-purpose = Purpose
case-intended-use = Intended use
case-expected-benefit = Expected benefit
case-spe-users = SPE users
case-form = Form of the data
case-months = Months needed
case-ethics = Ethical approval
case-safeguards = Safeguards
case-population = Study population
case-no-population = None: each dataset is delivered for everyone who meets its own cohort.
case-asked = Data asked for
case-cohort = Cohort
case-problems = Missing before it can be submitted
case-actions = What you can do
case-edit = Change the application
case-assign-to = To officer
case-narrow = Untick what the permit should not include (approval may only narrow the request).
case-grant-anonymised = Grant anonymised data instead (k = 10, at most 2% of records suppressed)
case-conditions = Conditions (one per line)
case-valid-months = Months of validity (at most what was asked)
case-risk = Re-identification risk
case-risk-intro = Measured on each dataset's current upload, its cohort and the opt-out registry applied (before the study population). Untick a variable to see what leaving it out would change.
case-risk-as-anonymised = as anonymised data (what the lattice search would deliver)
case-risk-measure = Measure the risk
case-risk-per-record = Per record: { $text }.
case-risk-groups = Records by the size of the group that shares their quasi-identifiers:
case-risk-chart = Records of { $dataset } by the size of the group they share their quasi-identifiers with
case-risk-persons-unique = of { $count } persons are unique on their quasi-identifiers across all their records
case-risk-records-unique = of { $count } records are unique on their quasi-identifiers
case-risk-anonymised = Anonymised: { $levels }; { $suppressed } records suppressed; information loss { $loss }; then { $after }
case-risk-anonymised-error = Anonymised: { $error }
case-event-by = by { $user }, { $date }
case-event-to = to { $officer }
case-versions = Versions received
case-not-submitted = Not submitted yet.
case-version-line = Version { $version } received { $date } from { $user }
case-changed = changed

## Applications

applications-title = My applications
applications-new = New application
applications-browse = Browse the catalogue
applications-due = Decision due
application-new-heading = New application for access to health data
application-change-heading = Change application { $id }
application-intro = A draft can be saved incomplete; it is checked when you submit it, and every missing part is listed then.
application-title = Title
application-organisation = Organisation
application-purpose = Purpose (EHDS Art. 53)
application-intended-use = Intended use
application-expected-benefit = Expected benefit
application-spe-users = Who will work with the data in the secure processing environment (user ids, comma-separated)
application-form = Form of the data
application-pseudonymised = Pseudonymised (records linked per person)
application-anonymised = Anonymised
application-why-not-anonymised = Why anonymised data would not do
application-months = Months of access needed (at most 120)
application-ethics = Ethical approval (reference)
application-safeguards = Safeguards
application-population = Study population
application-population-intro = Who the study is about: cases from an index dataset (criteria, the index date, exclusions) and, if you need them, matched controls from the population register. Every dataset is then delivered for these people only. Written as in an application file (TOML); leave empty for none.
application-datasets = Datasets and variables
application-variables = Variables:
application-cohort-intro = Cohort — leave empty to take every person in the dataset.
application-codes = Codes starting with (comma-separated)
application-code-columns = in the columns
application-date-column = Date column
application-date-from = from
application-date-to = to
application-age-min = Age at least
application-age-max = at most
application-age-at = on
application-save = Save draft

## Data holders

holder-title = My datasets
holder-heading = Datasets of { $organisation }
holder-new-dataset = Register a new dataset
holder-overdue = { $count ->
    [one] { $count } description not confirmed within a year: check and confirm it.
   *[other] { $count } descriptions not confirmed within a year: check and confirm them.
}
holder-confirmed = Confirmed
holder-next-confirmation = Next confirmation
holder-latest-upload = Latest upload
holder-overdue-since = overdue since { $date }
holder-upload-line = { $rows } rows, { $date }
holder-no-upload = none yet
holder-dataset-line = { $id } · version { $version } ·
holder-public-page = public page
holder-yearly = Yearly confirmation
holder-last-confirmed = Last confirmed { $confirmed }; next due { $due }.
holder-overdue-word = overdue
holder-confirm = The description is still correct
holder-edit = Change the description
holder-upload = Upload data
holder-upload-intro = CSV (<code>;</code> or <code>,</code>, UTF-8 or Windows-1252, a header row) or Parquet, as it is or compressed with gzip or zstd. The file is checked against the data dictionary before it is kept.
holder-file = File
holder-reference-date = Date the extract was made (YYYY-MM-DD)
holder-upload-submit = Upload and check
holder-uploads = Uploads
holder-profile = Data profile of the latest upload
holder-profile-what = (records per year, completeness, validity, top codes).
holder-upload-column = Upload
holder-by = By
holder-valid-ids = Valid ids
holder-invalid-ids = Invalid ids
holder-register-heading = Register a dataset
holder-change-heading = Change the description of { $dataset }
holder-edit-intro = The description is HealthDCAT-AP metadata and a data dictionary, in TOML (the same file as in the catalogue folder). Every problem is listed at once when you save.
holder-description = Description
holder-save = Save description

## Permits

permits-mine = My permits
permits-every = Every permit
permit-heading = Permit { $id }
permit-granted = Granted
permit-conditions = Conditions
permit-data-granted = Data granted
permit-delivered = Delivered
permit-delivered-yes = delivered
permit-delivered-again = delivered; re-delivery due
permit-delivered-not-yet = not yet
permit-run-extraction = Run the extraction into the SPE
permit-outputs = Results out of the SPE
permit-output-files = Files (tables as CSV or TSV, figures as PNG, SVG or PDF, text)
permit-output-description = What the files are and how they were made
permit-output-submit = Ask for the files to leave
permit-your-outputs = Your output requests
permit-reading = Reading the data
permit-gateway-howto = Your data are read only through the SPE gateway (Arrow Flight SQL), signed in with your hdab user id and password; every query is logged below. In the SPE: <code>hdab spe query --user { $user } --permit { $permit } "SELECT count(*) FROM …"</code>. From Python, R or DuckDB: the ADBC Flight SQL driver with the header <code>x-hdab-permit: { $permit }</code>.
permit-deliveries = Deliveries
permit-no-deliveries = Nothing delivered yet.
permit-delivery-heading = { $dataset } — version { $version }
permit-delivery-where = Table <code>{ $dataset }</code> in the SPE gateway (folder <code>{ $folder }</code>, read through the gateway only) · key { $key } · opt-out registry at { $registry }
permit-rows-read = Rows read
permit-rows-delivered = Delivered
permit-outside-population = Outside the population
permit-outside-filter = Outside the filter
permit-opted-out = Opted out
permit-invalid = Invalid identifier
permit-rows-only = Rows delivered
permit-columns = Columns: { $columns }
permit-queries = Queries of the data
permit-no-queries = Nobody has queried the data yet.

## Output requests

outputs-title = Output requests
outputs-intro = Results leave the secure processing environment only through a request: the files are checked automatically, two output checkers who are not part of the permit approve, and the release is published without its contents.
outputs-none = No output requests.
outputs-request = Request
outputs-requested-by = Requested by
outputs-files = Files
outputs-approvals = Approvals
output-heading = Output request { $id }
output-approved-by = Approved by
output-description = Description
output-file-line = { $bytes } bytes
output-download = download the released file
output-stripped = Stripped on release: { $metadata }
output-no-finding = No finding.
output-finding = Finding
output-rule = Rule
output-where = Where
output-why = Why
output-justification = Justification
output-never-leaves = may never leave
output-blocking = { $count ->
    [one] { $count } finding may never leave the SPE: this request can only be returned or rejected.
   *[other] { $count } findings may never leave the SPE: this request can only be returned or rejected.
}
output-unjustified = { $count ->
    [one] { $count } finding waits for the researcher's justification before an approval.
   *[other] { $count } findings wait for the researcher's justification before an approval.
}
output-why-safe = Why it is safe to release
output-add-justification = Add the justification
output-review = Review
output-release = Release to the researcher's outbox
output-step = Step

## Re-identification risk in words

risk-no-records = no records
risk-summary = { $records } records in { $classes } groups sharing every quasi-identifier; the smallest group has { $k } (k = { $k }); { $below } records ({ $below_share }) are in groups under { $threshold }; { $uniques } ({ $unique_share }) are unique; highest re-identification risk { $highest }, average { $average }

## Health categories of EHDS Art. 51

category-electronic-health-records = electronic health records
category-factors-affecting-health = factors affecting health
category-aggregated-care-data = aggregated data on care needs, resources and spending
category-pathogen-data = pathogen data
category-administrative-health-data = administrative health-care data
category-genetic-genomic-data = genetic, epigenomic and genomic data
category-other-omics-data = other human molecular (-omics) data
category-medical-device-generated-data = data generated automatically by medical devices
category-wellness-app-data = wellness-app data
category-health-professional-data = professional status and organisation of treating staff
category-population-health-registers = population health registers
category-medical-and-mortality-registers = medical and mortality registers
category-clinical-trials-and-studies = clinical trials, studies and investigations
category-other-medical-device-data = other medical-device data
category-medicinal-product-registers = registers of medicinal products and medical devices
category-research-cohorts-and-surveys = research cohorts, questionnaires and surveys
category-biobank-data = biobank data and associated databases

## Errors of a form, tied to their fields

form-errors-heading = The form could not be saved: correct what is marked
form-error-purpose = Choose one of the purposes in the list.
form-error-date = Write a date as YYYY-MM-DD, for example 2020-01-31.
form-error-age = Write an age in whole years, for example 18.
form-error-age-date = An age range needs the date on which the age is counted.
form-error-months = Write the number of months as a whole number from 1 to 120.
form-error-population = The study population could not be read: { $error }
login-failed = Wrong user id or password. Check both and try again.

## Signing in through the identity provider

login-oidc = Log in with e-identification (SITHS, Freja eID, BankID)
login-password-heading = Or with an hdab password
oidc-not-configured = No identity provider is configured here: log in with your hdab password.
oidc-cancelled = The sign-in was cancelled or refused at the identity provider. Try again, or log in with your hdab password.
oidc-incomplete = The identity provider's answer is incomplete. Start the sign-in again.
oidc-other-browser = This sign-in was begun in another browser or has already been used. Start it again here.
oidc-expired = The sign-in took too long or has already been used. Start it again.
oidc-failed = The identity provider's answer could not be verified. Try again; if it happens again, tell the HDAB's support.
oidc-signed-in = You are signed in
oidc-continue = Continue
oidc-refused-title = Sign-in not accepted
oidc-refused-weak = Your role needs a multi-factor sign-in (for example SITHS card or Freja eID+), and this sign-in was not one.
oidc-refused-unlinked = Your identity is not linked to a user in hdab. Ask the HDAB's administrator to link it.
oidc-sign-in-stronger = Sign in again with multi-factor authentication
oidc-back-to-login = Back to the login page
oidc-signed-out = You are logged out of hdab
oidc-provider-logout = Log out of the identity provider too
col-registration = Registration no.

## Notices by e-mail

notice-footer = This message was sent by the health data access body's case system, hdab. You can choose not to receive notices by e-mail in your profile.
notice-link = Read more: { $link }
notice-decision-approve = approved
notice-decision-reject = rejected
notice-application-received-subject = Application received: { $number }
notice-application-received-body = The health data access body has received your application "{ $title }". Its registration number is { $number }: quote it when you contact us. The decision is due within the time the law sets (EHDS Art. 68), counted from when the application is complete.
notice-application-returned-subject = Application returned for completion: { $number }
notice-application-returned-body = Your application "{ $title }" ({ $number }) was returned to you for completion: { $detail }. The time for the decision stands still until you submit it again.
notice-application-decided-subject = Decision on your application { $number }
notice-application-decided-body = Your application "{ $title }" ({ $number }) has been { $detail }. The decision and its reasons are on the case page; it can be appealed to the administrative court (förvaltningsrätten) within three weeks of your receiving it.
notice-case-delayed-subject = The decision on { $number } will be later than planned
notice-case-delayed-body = The decision on your application "{ $title }" ({ $number }) is taking longer than planned: the case is still under review, and the decision is due by { $detail }. We tell you this under § 11 of the Administrative Procedure Act (förvaltningslagen 2017:900). You may ask us in writing to decide the case; we then answer within four weeks.
notice-deadline-near-subject = Decision due soon: { $number }
notice-deadline-near-body = The case "{ $title }" ({ $number }) must be decided by { $detail } (EHDS Art. 68).
notice-confirmation-due-subject = Confirm the description of { $title }
notice-confirmation-due-body = The description of the dataset "{ $title }" ({ $object }) must be confirmed by { $detail }: check that it is still correct and confirm it on your datasets page.
notice-confirmation-overdue-subject = Overdue: confirm the description of { $title }
notice-confirmation-overdue-body = The description of the dataset "{ $title }" ({ $object }) was due for its yearly confirmation on { $detail } and has not been confirmed. Check it and confirm it on your datasets page.
notice-output-released-subject = Results released: { $number }
notice-output-released-body = The results of your output request { $number } (permit { $detail }) passed output checking and were released to your outbox.
notice-order-placed-subject = Data order { $number }: { $title }
notice-order-placed-body = The health data access body orders data from your dataset "{ $title }" for a data permit (EHDS Art. 60): order { $number }, due { $detail }. The order states the variables and the population it covers. Fulfil it with an upload made for it, on your data orders page or with: hdab upload --order { $number } DATASET FILE
notice-order-overdue-subject = Overdue: data order { $number }
notice-order-overdue-body = The data order { $number } for your dataset "{ $title }" was due on { $detail } and has not been fulfilled. Upload the data for the order, or ask the health data access body for an extension, with the reason.

## Attachments

notice-attached = The document was checked and attached.
attachments = Attached documents
attachments-none = No documents are attached.
attachment-document = Document
attachment-kind = Kind of document
attachment-kind-ethics_decision = ethics approval decision
attachment-kind-research_plan = research plan
attachment-kind-other = other document
attachment-size-heading = Size
attachment-size = { $kib } KiB
attachment-file = The document (PDF)
attachment-help = PDF only, at most 20 MiB, without scripts, actions or embedded files (save as PDF/A if in doubt).
attachment-submit = Attach the document
attachment-unreadable = The form could not be read: { $error }

## The command line

cli-error = error
cli-because = because
cli-deadline-draft = not started (draft)
cli-deadline-due = decision due { $date }
cli-deadline-extended = extended
cli-deadline-paused = clock paused while the applicant completes the application
cli-deadline-days-left = { $days ->
    [one] { $days } day left
   *[other] { $days } days left
}
cli-deadline-overdue = OVERDUE
cli-population = study population: { $people } people: { $cases } cases ({ $qualifying } met the criteria, { $excluded } excluded) and { $controls } matched controls{ $short ->
    [0] {""}
   *[other] { " " }({ $short } cases have fewer controls than asked)
}
cli-col-dataset = dataset
cli-col-rows-in = rows in
cli-col-delivered = delivered
cli-col-outside-population = outside population
cli-col-outside-filter = outside filter
cli-col-opted-out = opted out
cli-col-invalid = invalid identifier
cli-read-from-order = { $dataset }: data from order { $order } (upload { $upload })
cli-anonymised = { $dataset }: anonymised: every group of quasi-identifiers holds at least { $k_after } records ({ $levels }); { $suppressed } records suppressed (their groups stayed under k = { $k }); information loss { $loss }
cli-before = before
cli-after = after
cli-delivered-files = { $dataset }: { $count ->
    [one] { $count } file
   *[other] { $count } files
} and manifest.json in { $folder }

## Refusals of case commands

refusal-wrong-state = '{ $command }' is not possible on a case that is { $state }
refusal-missing-role = '{ $command }' needs the role { $role }; user '{ $user }' does not have it
refusal-not-the-applicant = only the applicant may { $command } this application
refusal-not-the-assignee = the case is with officer '{ $assignee }'; only they (or an admin, for 'assign') may { $command } it
refusal-applicant-decides = the applicant cannot decide their own application; another decision maker must
refusal-preparer-decides = the officer who prepared the case cannot also decide it; another decision maker must
refusal-no-reason = '{ $command }' needs a reason
refusal-no-assignee = 'assign' needs the officer to give the case to
refusal-already-extended = the deadline has already been extended once; the regulation allows one extension

## Data orders
nav-orders = Data orders
col-order = Order
col-holder = Holder
col-due = Due
orders-title = Data orders
orders-intro = When a permit is granted, the health data access body orders the data it needs from each data holder (EHDS Art. 60). The holder has three months to make it available, extendable once by up to three months. A permit's data is extracted only when every order is fulfilled.
orders-overdue-count = { $count ->
    [one] One order is overdue.
   *[other] { $count } orders are overdue.
}
orders-none = There are no data orders.
orders-late = { $date }: overdue by { $days ->
    [one] one day
   *[other] { $days } days
}
order-heading = Data order { $id }
order-covers = Covers
order-variables = Variables
order-ordered = Ordered
order-ordered-due = { $date }, when the permit was granted; due { $due }
order-law = The holder makes the data available within three months of the order; the health data access body may extend this once by up to three months (EHDS Art. 68(7)). Upload only what the order covers: the variables listed, for the permit's study population where it has one.
order-history = History
order-history-none = Nothing has happened to the order since it was placed.
order-history-extended = extended to { $date }: { $reason }
order-history-fulfilled = fulfilled by upload { $upload }
order-history-cancelled = cancelled: { $reason }
order-upload = Fulfil the order
order-upload-intro = The file is checked against the dataset's data dictionary like any upload. It is used for this permit only.
order-extend = Extend the due date
order-extend-months = Months (at most three, once)
order-extend-submit = Extend
order-state-open = open
order-state-extended = open (extended)
order-state-fulfilled = fulfilled
order-state-cancelled = cancelled
order-scope-variables = the permit's variables of this dataset
order-scope-index_rows = the rows that make people cases of the study population (the index dataset)
order-scope-control_register = the population register, to draw matched controls from
notice-fulfilled = The upload passed its checks and fulfils the order.
notice-extended = The order's due date was extended.
order-event-placed = Data order { $order } placed
order-event-placed-detail = { $dataset } from { $holder }, due { $due }
order-event = Data order { $order }

## Fees
fee-heading = Fees
fee-estimate = Fee estimate (SEK)
fee-invoice = Invoice after delivery: each party's share (SEK)
fee-what = For
fee-party = To
fee-quantity = Quantity
fee-unit = Price
fee-amount = Amount
fee-total = Total
fee-item-work = hours of the health data access body's work
fee-item-dataset = data from { $dataset }
fee-item-holder_cost = the data holder's stated costs
fee-item-spe = months in the secure processing environment
fee-not-accepted = The applicant has not accepted the estimate yet: the decision waits for acceptance.
fee-accepted-by = Accepted by { $user } on { $date }.
fee-no-estimate = No fee estimate has been made yet. Where fees are charged, the decision waits for the applicant to accept one (EHDS Art. 62).
fee-accept = Accept the fee estimate
fee-or-withdraw = If you do not accept it, you can withdraw the application instead.
fee-hours = Hours of work
fee-spe-months = Months in the secure processing environment
fee-holder-costs = Data holders' stated costs
fee-holder-costs-help = One holder a line: holder=SEK, for example scb=9000.
fee-estimate-submit = Make the estimate
fee-cost-unreadable = "{ $line }" is not a holder's cost: write holder=SEK, for example scb=9000.
register-fee = Fee (SEK)

## Consultations
consult-heading = Consultations
consult-intro = Opinions asked before the decision. The decision deadline runs on while they are open; the case is decided only when each is answered or closed with a reason.
consult-due = due { $date }
consult-late = late
consult-answer = The answer
consult-answer-submit = Record the answer
consult-close-reason = Why it is closed without an answer
consult-close = Close without an answer
consult-kind = Whose opinion
consult-to = To whom (a unit, a board, the holder's organisation, an HDAB)
consult-question = The question
consult-due-label = Answer due (YYYY-MM-DD)
consult-ask = Ask
consult-kind-legal = legal
consult-kind-ethics = ethics
consult-kind-data_holder = the data holder
consult-kind-other_hdab = another health data access body
consult-state-open = open
consult-state-answered = answered
consult-state-closed = closed
consult-event-asked = Consultation { $id } asked
consult-event-answered = Consultation { $id } answered
consult-event-closed = Consultation { $id } closed
consult-kind-unknown = Choose whose opinion is asked.
consult-due-unreadable = The due date is not a date (YYYY-MM-DD).

## Activity report
activity-title = Activity report
activity-period = From { $from } to { $to } (EHDS Art. 59). Counts only: no person is named.
activity-from = From
activity-to = To
activity-show = Show
activity-csv = Download as CSV
activity-figure = Figure
activity-value = Value
activity-count = Number
activity-received = Applications received
activity-approved = Approved
activity-rejected = Rejected
activity-withdrawn = Withdrawn
activity-on-time = Decided by the deadline
activity-late = Decided after the deadline
activity-days-median = Days from receipt to decision (median)
activity-days-mean = Days from receipt to decision (mean)
activity-days-max = Days from receipt to decision (longest)
activity-orders-placed = Data orders placed
activity-orders-fulfilled = Data orders fulfilled
activity-orders-late = Data orders fulfilled late
activity-orders-overdue = Data orders overdue at the end of the period
activity-deliveries = Deliveries into secure environments
activity-rows = Rows delivered
activity-releases = Results released from secure environments
activity-opt-outs = Opt-outs registered
activity-opt-ins = Opt-outs withdrawn
activity-invoices = Invoices
activity-fees = Fees invoiced (SEK)
activity-refusals = Refusals by ground
activity-no-refusals = No application was refused in the period.
activity-months = Per month
activity-chart-received = Applications received per month
activity-chart-decided = Decisions per month
register-requests = Data requests (EHDS Art. 69)
register-no-requests = No data requests have been received.
register-request = Request
register-request-decision = { $decision } on { $date }: { $reason }
register-request-undecided = not decided yet
request-decision-approve = Approved
request-decision-refuse = Refused
register-optout-exception = Opt-outs not applied: public-interest exception (EHDS Art. 71(4)) under { $basis }. Public interest: { $interest }. Why the purpose cannot be met otherwise: { $necessity }
