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
