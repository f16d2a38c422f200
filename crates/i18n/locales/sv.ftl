# hdab på svenska: standardspråket på varje sida.
# Varje meddelande finns också i en.ftl (testerna kräver det).

## Ramen kring varje sida

site-name = hdab
site-authority = Socialstyrelsen, hälsodataorgan
skip-to-content = Hoppa till innehållet
nav-label = Huvudmeny
nav-catalogue = Katalog
nav-register = Diarium över beslut
nav-optout = Säga nej
nav-my-datasets = Mina datamängder
nav-my-applications = Mina ansökningar
nav-my-permits = Mina tillstånd
nav-case-queue = Ärendekö
nav-permits = Tillstånd
nav-outputs = Utlämnanden av resultat
nav-login = Logga in
nav-logout = Logga ut { $user }
language-switch = In English
language-switch-label = Språk

## Startsidan

home-title = Hälsodataorgan
home-heading = Hälsodata för forskning och folkhälsa, enligt EHDS
home-intro = Den här tjänsten är det svenska hälsodataorganets katalog och ärendesystem enligt förordningen om ett europeiskt hälsodataområde ((EU) 2025/327).
home-everyone = <strong>Alla</strong> kan <a href="/catalog">söka i katalogen</a> över hälsodata, läsa <a href="/register">diariet över ansökningar och beslut</a> och ta reda på <a href="/optout">hur man säger nej</a> till sekundär användning.
home-holders = <strong>Dataförvaltare</strong> beskriver sina datamängder, bekräftar beskrivningarna varje år och lämnar data när hälsodataorganet begär det.
home-applicants = <strong>Forskare och andra sökande</strong> ansöker om tillgång, följer sitt ärende och får pseudonymiserade uttag i en säker behandlingsmiljö.
home-officers = <strong>Handläggare</strong> arbetar i ärendekön inom de lagstadgade tidsfristerna och beslutar.
home-datasets = { $count ->
    [one] { $count } datamängd i katalogen
   *[other] { $count } datamängder i katalogen
}
home-decisions = { $count ->
    [one] { $count } publicerat beslut
   *[other] { $count } publicerade beslut
}

## Logga in

login-title = Logga in
login-user = Användar-id
login-password = Lösenord
login-submit = Logga in
login-note = Konton skapas av hälsodataorganet. Myndigheter som loggar in via en identitetsleverantör (SITHS, Freja eID, BankID) får samma slags sessioner.

## Felsidan

error-forbidden = Inte tillåtet
error-not-found = Hittades inte
error-conflict = Inte möjligt just nu
error-correct = Rätta detta
error-other = Något gick fel
error-back = Använd webbläsarens bakåtknapp för att rätta formuläret, eller gå till <a href="/">startsidan</a>.

## Att säga nej (opt-out)

optout-title = Att säga nej till sekundär användning
optout-heading = Du kan säga nej till att dina hälsodata används för forskning
optout-intro = Enligt förordningen om ett europeiskt hälsodataområde (artikel 71) kan du säga nej till sekundär användning av dina elektroniska hälsodata — för forskning, statistik, beslutsunderlag och förbättring av vården. Du behöver inte ange något skäl, och du kan ändra dig när som helst.
optout-what-heading = Vad ett nej innebär
optout-what-removed = Från den dag ditt nej registreras tas du bort ur varje nytt uttag som hälsodataorganet lämnar ut, och ur varje uttag som lämnas ut på nytt enligt ett befintligt tillstånd.
optout-what-care = Din vård påverkas inte. Läkare och sjuksköterskor som behandlar dig ser fortfarande din journal.
optout-what-delivered = Data som redan lämnats ut före ditt nej kan inte kallas tillbaka, men de är pseudonymiserade: forskarna ser aldrig ditt namn eller ditt personnummer.
optout-what-hash = Registret sparar bara en nyckelbaserad kontrollsumma av ditt personnummer, aldrig själva numret.
optout-how-heading = Så säger du nej
optout-how-1177 = Logga in i e-tjänsten på 1177 med BankID eller Freja eID och välj <em>Sekundär användning av hälsodata</em>, eller
optout-how-letter = skicka ett undertecknat brev till Socialstyrelsen, Registerservice, 106 30 Stockholm, med ditt personnummer eller samordningsnummer.
optout-confirmation = Du får en bekräftelse när ditt nej är registrerat. På samma sätt kan du ta tillbaka det och vara med igen.
optout-exceptions-heading = Viss användning kan fortsätta
optout-exceptions = Medlemsstaterna får tillåta viss användning trots ett nej, av viktiga skäl av allmänintresse och med stränga skyddsåtgärder (artikel 71.4). Varje sådan användning publiceras i <a href="/register">diariet över beslut</a>.
optout-no-exception = Lagen gör här inget undantag från ett nej: ditt nej gäller för varje tillstånd, och ingen som har sagt nej finns med i de data som hälsodataorganet lämnar ut. Om lagen någon gång medger undantag (EHDS art. 71.4) publiceras varje sådan användning i <a href="/register">diariet över beslut</a>.
optout-exception-law = Lagen medger undantag av viktiga skäl av allmänt intresse enligt: { $bases }. En beslutsfattare kan då ge ett tillstånd undantaget och ange den rättsliga grunden, det allmänna intresset och varför syftet inte kan nås på annat sätt; för det tillståndet tillämpas inte ditt nej.

## Katalogen

catalog-title = Katalog
catalog-heading = Nationell katalog över hälsodata
catalog-words = Ord
catalog-category = Hälsokategori
catalog-holder = Dataförvaltare
catalog-coding-system = Kodsystem
catalog-search = Sök
catalog-count = { $count ->
    [one] { $count } datamängd.
   *[other] { $count } datamängder.
}
catalog-dataset = Datamängd
catalog-coverage = Täckning
catalog-coding = Kodning
catalog-version = Version

## Ord som många sidor delar

not-stated = uppgift saknas
ongoing = pågående
none = inga
nobody-yet = ingen ännu
word-any = valfritt
yes = ja
no = nej
col-case = Ärende
col-title = Titel
col-organisation = Organisation
col-state = Läge
col-permit = Tillstånd
col-application = Ansökan
col-datasets = Datamängder
col-dataset = Datamängd
col-variables = Variabler
col-valid-until = Giltigt till
col-status = Status
col-when = När
col-who = Vem
col-rows = Rader
col-bytes = Byte
col-file = Fil
col-reason = Skäl
col-version = Version
history = Händelser
reason = Skäl
comment-optional = Kommentar (frivillig)

## Ärendets lägen, ändamål, kommandon och andra ord i domänen

state-draft = utkast
state-submitted = inkommen
state-incomplete = återsänd för komplettering
state-under_review = under handläggning
state-approved = beviljad
state-rejected = avslagen
state-withdrawn = återkallad
purpose-public_health = (a) allmänintresse på området folkhälsa och arbetsmiljö
purpose-policy_making = (b) beslutsfattande och reglering
purpose-official_statistics = (c) officiell statistik
purpose-education = (d) utbildning och undervisning
purpose-scientific_research = (e) vetenskaplig forskning
purpose-care_improvement = (f) förbättring av vård och behandling
event-submit = inkom
event-take = togs
event-assign = tilldelades
event-return = återsändes
event-extend = tidsfristen förlängdes
event-approve = beviljades
event-reject = avslogs
event-withdraw = återkallades
command-submit = Skicka in ansökan
command-take = Ta ärendet
command-assign = Lämna ärendet till en handläggare
command-return = Återsänd till sökanden för komplettering
command-extend = Förläng tidsfristen (en gång)
command-approve = Bevilja
command-reject = Avslå
command-withdraw = Återkalla ansökan
type-person_id = personidentitet
type-date = datum
type-code = kod
type-integer = heltal
type-decimal = decimaltal
type-text = text
type-unknown = okänd
sensitivity-direct_identifier = direkt identifierande
sensitivity-quasi_identifier = indirekt identifierande
sensitivity-sensitive = känslig
sensitivity-other = övrig
sensitivity-unknown = okänd
form-pseudonymised = pseudonymiserade
form-pseudonymised-because = pseudonymiserade — { $reason }
form-anonymised = anonymiserade
permit-valid = giltigt
permit-expired = har löpt ut
permit-revoked = återkallat { $date }
output-state-checked = kontrollerad, väntar på granskning
output-state-under_review = under granskning
output-state-approved = godkänd
output-state-released = utlämnad
output-state-returned = återsänd
output-state-rejected = avslagen
output-step-submit = inlämnad
output-step-justify = motiverad
output-step-approve = godkänd
output-step-return = återsänd
output-step-reject = avslagen
output-step-release = utlämnad
output-command-approve = Godkänn
output-command-return = Återsänd till forskaren
output-command-reject = Avslå
verdict-pass = godkänns
verdict-needs_justification = behöver motiveras
verdict-fail = får inte lämna miljön
rule-threshold = litet antal
rule-zero = nolla
rule-dominance = dominans
rule-p_ratio = p%-regeln
rule-differencing = differensröjande
rule-missing_contributors = antal bidragsgivare saknas
rule-person_id = personnummer
rule-pseudonym = pseudonym
rule-record_level = data på individnivå
rule-unreadable = oläsbar

## Tidsfrister (EHDS artikel 68)

deadline-decided = beslutat { $date }
deadline-paused = vilande medan ansökan är hos sökanden (beslut senast { $date } om den kompletteras nu)
deadline-overdue = försenat sedan { $date } ({ $days } dagar)
deadline-due = beslut senast { $date } ({ $days } dagar kvar)
deadline-due-extended = beslut senast { $date } ({ $days } dagar kvar, förlängd)
deadline-not-submitted = inte inskickad
deadline-paused-short = vilande

## Kohorter, fönster och studiepopulationer i ord

cohort-everyone = alla i datamängden
cohort-every-row = varje rad
cohort-code-prefix = { $columns } börjar med { $prefixes }
cohort-date-from-to = { $column } från { $from } till { $to }
cohort-date-from = { $column } från { $from }
cohort-date-to = { $column } till { $to }
cohort-date-any = { $column } är vilket datum som helst
cohort-age-between = i åldern { $min } till { $max } den { $date }
cohort-age-min = minst { $min } år den { $date }
cohort-age-max = högst { $max } år den { $date }
cohort-age-any = i vilken ålder som helst den { $date }
cohort-or = { " " }eller{ " " }
cohort-and = { " " }och{ " " }
window-in-words = bara rader där '{ $column }' ligger { $from } till { $to } dagar från personens indexdatum
precision-day = dag
precision-month = månad
precision-year = år
population-cases = Fall: personer med en rad i '{ $dataset }' där { $conditions }; indexdatum: det första sådana '{ $column }' (lämnas ut med upplösningen { $precision }).
population-excluded = Undantas: fall med en rad där { $conditions } inom { $days } dagar före indexdatum.
population-controls = Kontroller: { $count } per fall ur '{ $dataset }', matchade på kön och födelseår, levande och folkbokförda på fallets indexdatum, aldrig själva fall; dragna reproducerbart utan återläggning.
population-controls-county = Kontroller: { $count } per fall ur '{ $dataset }', matchade på kön, födelseår och län, levande och folkbokförda på fallets indexdatum, aldrig själva fall; dragna reproducerbart utan återläggning.

## Besked efter ett formulär

notice-registered = Beskrivningen sparades.
notice-confirmed = Tack: beskrivningen är bekräftad för ett år till.
notice-uploaded = Filen klarade kontrollerna och har sparats.
notice-saved = Ansökan sparades.
notice-done = Klart.
notice-extracted = Uttaget har lämnats ut i den säkra behandlingsmiljön.
notice-submitted = Filerna är kontrollerade och väntar på två utlämningsgranskare.
notice-released = Utlämnat: filerna finns i forskarens utkorg.

## En datamängds publika sida

dataset-id = Datamängdens id
dataset-holder = Dataförvaltare
dataset-version = Version
dataset-version-registered = { $version }, registrerad { $date }
dataset-temporal = Tidsperiod
dataset-records = Poster
dataset-individuals = Individer
dataset-coding = Kodsystem
dataset-categories = Hälsokategorier
dataset-legal-basis = Rättslig grund
dataset-contact = Kontakt
dataset-variables = Variabler
dataset-variable-name = Namn
dataset-variable-type = Typ
dataset-variable-sensitivity = Känslighet
dataset-variable-code-system = Kodsystem
dataset-variable-description = Beskrivning
dataset-versions = Versioner
dataset-version-line = Version { $version } — { $date } av { $user }
dataset-other-title = På engelska:

## Diariet

register-title = Diarium över ansökningar och beslut
register-intro = Varje ansökan om tillgång till hälsodata och beslutet om den publiceras här (EHDS artikel 57.1 i).
register-received = Inkom
register-purpose = Ändamål
register-decision = Beslut
register-decision-line = { $decision } { $date }: { $reason }
register-releases = Resultat utlämnade från den säkra behandlingsmiljön
register-releases-intro = Varje utlämnande: tillståndet, dagen och varje fils beskrivning och kontrollsumma. Aldrig innehållet.
register-no-releases = Inget har lämnats ut ännu.
register-release = Utlämnande
register-released = Utlämnat
register-files = Filer
register-descriptions = Beskrivningar och kontrollsummor
register-overdue = Tillstånd utan publicerat resultat
register-overdue-intro = Resultat av sekundär användning ska publiceras inom 18 månader efter att tillståndet upphört (EHDS artikel 61.4).
register-no-overdue = Inget är försenat.
register-ended = Upphörde
register-publication-due = Publicering senast
register-checkpoint = Kontrollpunkt i granskningsloggen
register-checkpoint-text = Varje åtgärd i tjänsten registreras i en hashkedjad granskningslogg. Den { $date } innehöll loggen <strong>{ $count }</strong> poster, den sista med hashvärdet <code>{ $hash }</code>; signerad (Ed25519) <code class="wrap">{ $signature }</code> med den publika nyckeln <code>{ $key }</code>. Spara en kopia: en logg som inte längre innehåller den posten har kapats. Finns också på <a href="/api/v1/audit/checkpoint">/api/v1/audit/checkpoint</a>.
register-no-checkpoint = Ingen kontrollpunkt har signerats ännu.

## Ärendekön

queue-title = Ärendekö
queue-intro = Öppna ärenden, försenade först, sedan efter dagar kvar till beslutsfristen (EHDS artikel 68).
queue-officer = Handläggare
queue-days-left = Dagar kvar

## Ett ärende

case-state = Läge
case-with-officer = hos handläggaren { $officer }
case-applicant = Sökande
case-purpose = Ändamål
case-intended-use = Avsedd användning
case-expected-benefit = Förväntad nytta
case-spe-users = Användare i behandlingsmiljön
case-form = Uppgifternas form
case-months = Månader som behövs
case-ethics = Etikgodkännande
case-safeguards = Skyddsåtgärder
case-population = Studiepopulation
case-no-population = Ingen: varje datamängd lämnas ut för alla som uppfyller dess egen kohort.
case-asked = Begärda data
case-cohort = Kohort
case-problems = Saknas innan ansökan kan skickas in
case-actions = Vad du kan göra
case-edit = Ändra ansökan
case-assign-to = Till handläggaren
case-narrow = Kryssa ur det som tillståndet inte ska omfatta (ett beslut får bara begränsa ansökan).
case-grant-anonymised = Bevilja anonymiserade data i stället (k = 10, högst 2 % av posterna undertryckta)
case-conditions = Villkor (ett per rad)
case-valid-months = Giltighet i månader (högst det som söktes)
case-risk = Risk för återidentifiering
case-risk-intro = Mätt på varje datamängds senaste inlämnade fil, med dess kohort och registret över nej tillämpade (före studiepopulationen). Kryssa ur en variabel för att se vad det skulle ändra att utelämna den.
case-risk-as-anonymised = som anonymiserade data (det som gittersökningen skulle lämna ut)
case-risk-measure = Mät risken
case-risk-per-record = Per post: { $text }.
case-risk-groups = Poster efter storleken på gruppen som delar deras indirekt identifierande uppgifter:
case-risk-chart = Poster i { $dataset } efter storleken på gruppen de delar sina indirekt identifierande uppgifter med
case-risk-persons-unique = av { $count } personer är unika på sina indirekt identifierande uppgifter över alla sina poster
case-risk-records-unique = av { $count } poster är unika på sina indirekt identifierande uppgifter
case-risk-anonymised = Anonymiserat: { $levels }; { $suppressed } poster undertryckta; informationsförlust { $loss }; därefter { $after }
case-risk-anonymised-error = Anonymiserat: { $error }
case-event-by = av { $user }, { $date }
case-event-to = till { $officer }
case-versions = Mottagna versioner
case-not-submitted = Inte inskickad ännu.
case-version-line = Version { $version } mottagen { $date } från { $user }
case-changed = ändrat

## Ansökningar

applications-title = Mina ansökningar
applications-new = Ny ansökan
applications-browse = Sök i katalogen
applications-due = Beslut senast
application-new-heading = Ny ansökan om tillgång till hälsodata
application-change-heading = Ändra ansökan { $id }
application-intro = Ett utkast kan sparas ofullständigt; det kontrolleras när du skickar in det, och då listas allt som saknas.
application-title = Titel
application-organisation = Organisation
application-purpose = Ändamål (EHDS artikel 53)
application-intended-use = Avsedd användning
application-expected-benefit = Förväntad nytta
application-spe-users = Vilka som ska arbeta med uppgifterna i den säkra behandlingsmiljön (användar-id, kommaseparerade)
application-form = Uppgifternas form
application-pseudonymised = Pseudonymiserade (poster kopplade per person)
application-anonymised = Anonymiserade
application-why-not-anonymised = Varför anonymiserade uppgifter inte räcker
application-months = Månader av tillgång som behövs (högst 120)
application-ethics = Etikgodkännande (diarienummer)
application-safeguards = Skyddsåtgärder
application-population = Studiepopulation
application-population-intro = Vilka studien gäller: fall ur en indexdatamängd (kriterier, indexdatum, undantag) och vid behov matchade kontroller ur befolkningsregistret. Varje datamängd lämnas sedan ut bara för dessa personer. Skrivs som i en ansökningsfil (TOML); lämna tomt om ingen.
application-datasets = Datamängder och variabler
application-variables = Variabler:
application-cohort-intro = Kohort — lämna tomt för att ta med varje person i datamängden.
application-codes = Koder som börjar med (kommaseparerade)
application-code-columns = i kolumnerna
application-date-column = Datumkolumn
application-date-from = från
application-date-to = till
application-age-min = Ålder minst
application-age-max = högst
application-age-at = den
application-save = Spara utkast

## Dataförvaltare

holder-title = Mina datamängder
holder-heading = Datamängder hos { $organisation }
holder-new-dataset = Registrera en ny datamängd
holder-overdue = { $count ->
    [one] { $count } beskrivning har inte bekräftats inom ett år: granska och bekräfta den.
   *[other] { $count } beskrivningar har inte bekräftats inom ett år: granska och bekräfta dem.
}
holder-confirmed = Bekräftad
holder-next-confirmation = Nästa bekräftelse
holder-latest-upload = Senaste fil
holder-overdue-since = försenad sedan { $date }
holder-upload-line = { $rows } rader, { $date }
holder-no-upload = ingen ännu
holder-dataset-line = { $id } · version { $version } ·
holder-public-page = publik sida
holder-yearly = Årlig bekräftelse
holder-last-confirmed = Senast bekräftad { $confirmed }; nästa senast { $due }.
holder-overdue-word = försenad
holder-confirm = Beskrivningen stämmer fortfarande
holder-edit = Ändra beskrivningen
holder-upload = Lämna data
holder-upload-intro = CSV (<code>;</code> eller <code>,</code>, UTF-8 eller Windows-1252, en rubrikrad) eller Parquet, som den är eller komprimerad med gzip eller zstd. Filen kontrolleras mot dataordboken innan den sparas.
holder-file = Fil
holder-reference-date = Datum då uttaget gjordes (ÅÅÅÅ-MM-DD)
holder-upload-submit = Lämna och kontrollera
holder-uploads = Inlämnade filer
holder-profile = Dataprofil för den senaste filen
holder-profile-what = (poster per år, fullständighet, giltighet, vanligaste koder).
holder-upload-column = Fil
holder-by = Av
holder-valid-ids = Giltiga id
holder-invalid-ids = Ogiltiga id
holder-register-heading = Registrera en datamängd
holder-change-heading = Ändra beskrivningen av { $dataset }
holder-edit-intro = Beskrivningen är HealthDCAT-AP-metadata och en dataordbok i TOML (samma fil som i katalogmappen). Alla fel listas på en gång när du sparar.
holder-description = Beskrivning
holder-save = Spara beskrivningen

## Tillstånd

permits-mine = Mina tillstånd
permits-every = Alla tillstånd
permit-heading = Tillstånd { $id }
permit-granted = Beviljat
permit-conditions = Villkor
permit-data-granted = Beviljade data
permit-delivered = Utlämnat
permit-delivered-yes = utlämnat
permit-delivered-again = utlämnat; ska lämnas ut på nytt
permit-delivered-not-yet = inte ännu
permit-run-extraction = Gör uttaget till behandlingsmiljön
permit-outputs = Resultat ut ur behandlingsmiljön
permit-output-files = Filer (tabeller som CSV eller TSV, figurer som PNG, SVG eller PDF, text)
permit-output-description = Vad filerna är och hur de tagits fram
permit-output-submit = Begär att filerna lämnas ut
permit-your-outputs = Dina begäranden om utlämnande
permit-reading = Att läsa uppgifterna
permit-gateway-howto = Dina uppgifter läses bara genom behandlingsmiljöns gateway (Arrow Flight SQL), inloggad med ditt användar-id och lösenord i hdab; varje fråga loggas nedan. I behandlingsmiljön: <code>hdab spe query --user { $user } --permit { $permit } "SELECT count(*) FROM …"</code>. Från Python, R eller DuckDB: ADBC-drivrutinen för Flight SQL med rubriken <code>x-hdab-permit: { $permit }</code>.
permit-deliveries = Utlämnanden
permit-no-deliveries = Inget har lämnats ut ännu.
permit-delivery-heading = { $dataset } — version { $version }
permit-delivery-where = Tabellen <code>{ $dataset }</code> i behandlingsmiljöns gateway (mappen <code>{ $folder }</code>, läses bara genom gatewayen) · nyckel { $key } · registret över nej vid { $registry }
permit-rows-read = Lästa rader
permit-rows-delivered = Utlämnade
permit-outside-population = Utanför populationen
permit-outside-filter = Utanför urvalet
permit-opted-out = Har sagt nej
permit-invalid = Ogiltig identitet
permit-rows-only = Utlämnade rader
permit-columns = Kolumner: { $columns }
permit-queries = Frågor mot uppgifterna
permit-no-queries = Ingen har ställt någon fråga mot uppgifterna ännu.

## Begäranden om utlämnande av resultat

outputs-title = Utlämnanden av resultat
outputs-intro = Resultat lämnar den säkra behandlingsmiljön bara genom en begäran: filerna kontrolleras automatiskt, två utlämningsgranskare som inte ingår i tillståndet godkänner, och utlämnandet publiceras utan sitt innehåll.
outputs-none = Inga begäranden om utlämnande.
outputs-request = Begäran
outputs-requested-by = Begärd av
outputs-files = Filer
outputs-approvals = Godkännanden
output-heading = Begäran om utlämnande { $id }
output-approved-by = Godkänd av
output-description = Beskrivning
output-file-line = { $bytes } byte
output-download = ladda ner den utlämnade filen
output-stripped = Tas bort vid utlämnandet: { $metadata }
output-no-finding = Inga fynd.
output-finding = Fynd
output-rule = Regel
output-where = Var
output-why = Varför
output-justification = Motivering
output-never-leaves = får aldrig lämna miljön
output-blocking = { $count ->
    [one] { $count } fynd får aldrig lämna behandlingsmiljön: begäran kan bara återsändas eller avslås.
   *[other] { $count } fynd får aldrig lämna behandlingsmiljön: begäran kan bara återsändas eller avslås.
}
output-unjustified = { $count ->
    [one] { $count } fynd väntar på forskarens motivering innan det kan godkännas.
   *[other] { $count } fynd väntar på forskarens motivering innan de kan godkännas.
}
output-why-safe = Varför det är säkert att lämna ut
output-add-justification = Lägg till motiveringen
output-review = Granskning
output-release = Lämna ut till forskarens utkorg
output-step = Steg

## Risk för återidentifiering i ord

risk-no-records = inga poster
risk-summary = { $records } poster i { $classes } grupper som delar alla indirekt identifierande uppgifter; den minsta gruppen har { $k } (k = { $k }); { $below } poster ({ $below_share }) finns i grupper under { $threshold }; { $uniques } ({ $unique_share }) är unika; högsta risk för återidentifiering { $highest }, i genomsnitt { $average }

## Hälsokategorier enligt EHDS artikel 51

category-electronic-health-records = elektroniska patientjournaler
category-factors-affecting-health = faktorer som påverkar hälsan
category-aggregated-care-data = aggregerade uppgifter om vårdbehov, resurser och kostnader
category-pathogen-data = uppgifter om patogener
category-administrative-health-data = administrativa uppgifter om hälso- och sjukvård
category-genetic-genomic-data = genetiska, epigenomiska och genomiska uppgifter
category-other-omics-data = andra molekylära uppgifter om människor (-omik)
category-medical-device-generated-data = uppgifter som genereras automatiskt av medicintekniska produkter
category-wellness-app-data = uppgifter från friskvårdsappar
category-health-professional-data = vårdpersonalens yrkesstatus och organisation
category-population-health-registers = befolkningsbaserade hälsoregister
category-medical-and-mortality-registers = medicinska register och dödsorsaksregister
category-clinical-trials-and-studies = kliniska prövningar, studier och undersökningar
category-other-medical-device-data = andra uppgifter från medicintekniska produkter
category-medicinal-product-registers = register över läkemedel och medicintekniska produkter
category-research-cohorts-and-surveys = forskningskohorter, frågeformulär och enkäter
category-biobank-data = biobanksdata och tillhörande databaser

## Fel i ett formulär, knutna till sina fält

form-errors-heading = Formuläret kunde inte sparas: rätta det som är markerat
form-error-purpose = Välj ett av ändamålen i listan.
form-error-date = Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2020-01-31.
form-error-age = Skriv åldern i hela år, till exempel 18.
form-error-age-date = Ett åldersintervall behöver datumet då åldern räknas.
form-error-months = Skriv antalet månader som ett heltal från 1 till 120.
form-error-population = Studiepopulationen kunde inte läsas: { $error }
login-failed = Fel användar-id eller lösenord. Kontrollera båda och försök igen.

## Inloggning via identitetsleverantören

login-oidc = Logga in med e-legitimation (SITHS, Freja eID, BankID)
login-password-heading = Eller med ett lösenord i hdab
oidc-not-configured = Ingen identitetsleverantör är inställd här: logga in med ditt lösenord i hdab.
oidc-cancelled = Inloggningen avbröts eller nekades hos identitetsleverantören. Försök igen, eller logga in med ditt lösenord i hdab.
oidc-incomplete = Svaret från identitetsleverantören är ofullständigt. Börja om inloggningen.
oidc-other-browser = Inloggningen påbörjades i en annan webbläsare eller har redan använts. Börja om här.
oidc-expired = Inloggningen tog för lång tid eller har redan använts. Börja om.
oidc-failed = Svaret från identitetsleverantören kunde inte verifieras. Försök igen; händer det igen, kontakta hälsodataorganets support.
oidc-signed-in = Du är inloggad
oidc-continue = Fortsätt
oidc-refused-title = Inloggningen godtogs inte
oidc-refused-weak = Din roll kräver inloggning med flerfaktorsautentisering (till exempel SITHS-kort eller Freja eID+), och den här inloggningen var inte det.
oidc-refused-unlinked = Din identitet är inte kopplad till någon användare i hdab. Be hälsodataorganets administratör att koppla den.
oidc-sign-in-stronger = Logga in igen med flerfaktorsautentisering
oidc-back-to-login = Tillbaka till inloggningen
oidc-signed-out = Du är utloggad från hdab
oidc-provider-logout = Logga ut från identitetsleverantören också
col-registration = Diarienummer

## Besked via e-post

notice-footer = Meddelandet skickades av hälsodataorganets ärendesystem hdab. Du kan välja bort besked via e-post i din profil.
notice-link = Läs mer: { $link }
notice-decision-approve = beviljats
notice-decision-reject = avslagits
notice-application-received-subject = Ansökan mottagen: { $number }
notice-application-received-body = Hälsodataorganet har tagit emot din ansökan "{ $title }". Den har diarienumret { $number }: ange det när du kontaktar oss. Beslutet ska fattas inom den tid lagen anger (EHDS artikel 68), räknat från när ansökan är komplett.
notice-application-returned-subject = Ansökan återsänd för komplettering: { $number }
notice-application-returned-body = Din ansökan "{ $title }" ({ $number }) har skickats tillbaka till dig för komplettering: { $detail }. Tiden för beslutet står still tills du skickar in den igen.
notice-application-decided-subject = Beslut om din ansökan { $number }
notice-application-decided-body = Din ansökan "{ $title }" ({ $number }) har { $detail }. Beslutet och skälen finns på ärendesidan; det kan överklagas till förvaltningsrätten inom tre veckor från den dag du fick del av det.
notice-case-delayed-subject = Beslutet i { $number } dröjer
notice-case-delayed-body = Beslutet om din ansökan "{ $title }" ({ $number }) dröjer: ärendet handläggs fortfarande, och beslut ska fattas senast { $detail }. Vi meddelar dig detta enligt 11 § förvaltningslagen (2017:900). Du kan skriftligen begära att vi avgör ärendet; vi svarar då inom fyra veckor.
notice-deadline-near-subject = Beslut snart: { $number }
notice-deadline-near-body = Ärendet "{ $title }" ({ $number }) ska avgöras senast { $detail } (EHDS artikel 68).
notice-confirmation-due-subject = Bekräfta beskrivningen av { $title }
notice-confirmation-due-body = Beskrivningen av datamängden "{ $title }" ({ $object }) ska bekräftas senast { $detail }: kontrollera att den fortfarande stämmer och bekräfta den på sidan med dina datamängder.
notice-confirmation-overdue-subject = Försenad: bekräfta beskrivningen av { $title }
notice-confirmation-overdue-body = Beskrivningen av datamängden "{ $title }" ({ $object }) skulle ha bekräftats den { $detail } och har inte bekräftats. Kontrollera den och bekräfta den på sidan med dina datamängder.
notice-output-released-subject = Resultat utlämnade: { $number }
notice-output-released-body = Resultaten i din begäran om utlämnande { $number } (tillstånd { $detail }) har klarat utlämningsgranskningen och lämnats ut till din utkorg.
notice-order-placed-subject = Databeställning { $number }: { $title }
notice-order-placed-body = Hälsodataorganet beställer data ur er datamängd ”{ $title }” för ett datatillstånd (EHDS art. 60): beställning { $number }, senast { $detail }. Beställningen anger de variabler och den population den avser. Fullgör den med en uppladdning gjord för den, på sidan med era databeställningar eller med: hdab upload --order { $number } DATAMÄNGD FIL
notice-order-overdue-subject = Försenad: databeställning { $number }
notice-order-overdue-body = Databeställningen { $number } för er datamängd ”{ $title }” skulle vara fullgjord { $detail } och är det inte. Ladda upp data för beställningen, eller begär förlängning hos hälsodataorganet och ange skälet.

## Bilagor

notice-attached = Dokumentet kontrollerades och har bifogats.
attachments = Bifogade dokument
attachments-none = Inga dokument är bifogade.
attachment-document = Dokument
attachment-kind = Slags dokument
attachment-kind-ethics_decision = beslut om etikgodkännande
attachment-kind-research_plan = forskningsplan
attachment-kind-other = annat dokument
attachment-size-heading = Storlek
attachment-size = { $kib } KiB
attachment-file = Dokumentet (PDF)
attachment-help = Endast PDF, högst 20 MiB, utan skript, åtgärder eller inbäddade filer (spara som PDF/A om du är osäker).
attachment-submit = Bifoga dokumentet
attachment-unreadable = Formuläret kunde inte läsas: { $error }

## Kommandoraden

cli-error = fel
cli-because = eftersom
cli-deadline-draft = inte påbörjad (utkast)
cli-deadline-due = beslut senast { $date }
cli-deadline-extended = förlängd
cli-deadline-paused = tiden står still medan sökanden kompletterar ansökan
cli-deadline-days-left = { $days ->
    [one] { $days } dag kvar
   *[other] { $days } dagar kvar
}
cli-deadline-overdue = FÖRSENAT
cli-population = studiepopulation: { $people } personer: { $cases } fall ({ $qualifying } uppfyllde kriterierna, { $excluded } undantogs) och { $controls } matchade kontroller{ $short ->
    [0] {""}
   *[other] { " " }({ $short } fall har färre kontroller än begärt)
}
cli-col-dataset = datamängd
cli-col-rows-in = rader in
cli-col-delivered = utlämnade
cli-col-outside-population = utanför populationen
cli-col-outside-filter = utanför urvalet
cli-col-opted-out = sagt nej
cli-col-invalid = ogiltig identitet
cli-read-from-order = { $dataset }: data ur beställning { $order } (uppladdning { $upload })
cli-anonymised = { $dataset }: anonymiserad: varje grupp av indirekt identifierande uppgifter har minst { $k_after } poster ({ $levels }); { $suppressed } poster undertryckta (deras grupper stannade under k = { $k }); informationsförlust { $loss }
cli-before = före
cli-after = efter
cli-delivered-files = { $dataset }: { $count ->
    [one] { $count } fil
   *[other] { $count } filer
} och manifest.json i { $folder }

## Avslag på kommandon i ärenden

refusal-wrong-state = '{ $command }' går inte i ett ärende som är { $state }
refusal-missing-role = '{ $command }' kräver rollen { $role }; användaren '{ $user }' har den inte
refusal-not-the-applicant = bara sökanden får { $command } den här ansökan
refusal-not-the-assignee = ärendet ligger hos handläggaren '{ $assignee }'; bara hen (eller en administratör, för 'assign') får { $command } det
refusal-applicant-decides = sökanden kan inte besluta om sin egen ansökan; en annan beslutsfattare måste göra det
refusal-preparer-decides = handläggaren som berett ärendet kan inte också besluta i det; en annan beslutsfattare måste göra det
refusal-no-reason = '{ $command }' kräver ett skäl
refusal-no-assignee = 'assign' kräver den handläggare som ska få ärendet
refusal-already-extended = tidsfristen har redan förlängts en gång; förordningen tillåter en förlängning

## Databeställningar
nav-orders = Databeställningar
col-order = Beställning
col-holder = Datahållare
col-due = Senast
orders-title = Databeställningar
orders-intro = När ett tillstånd beviljas beställer hälsodataorganet de data som behövs från varje datahållare (EHDS art. 60). Datahållaren har tre månader på sig att tillgängliggöra dem, och tiden kan förlängas en gång med högst tre månader. Ett tillstånds data tas ut först när alla beställningar är fullgjorda.
orders-overdue-count = { $count ->
    [one] En beställning är försenad.
   *[other] { $count } beställningar är försenade.
}
orders-none = Det finns inga databeställningar.
orders-late = { $date }: försenad med { $days ->
    [one] en dag
   *[other] { $days } dagar
}
order-heading = Databeställning { $id }
order-covers = Avser
order-variables = Variabler
order-ordered = Beställd
order-ordered-due = { $date }, när tillståndet beviljades; senast { $due }
order-law = Datahållaren tillgängliggör data inom tre månader från beställningen; hälsodataorganet kan förlänga tiden en gång med högst tre månader (EHDS art. 68.7). Ladda bara upp det som beställningen avser: de angivna variablerna, för tillståndets studiepopulation när det finns en.
order-history = Historik
order-history-none = Ingenting har hänt med beställningen sedan den lades.
order-history-extended = förlängd till { $date }: { $reason }
order-history-fulfilled = fullgjord genom uppladdning { $upload }
order-history-cancelled = avbruten: { $reason }
order-upload = Fullgör beställningen
order-upload-intro = Filen kontrolleras mot datamängdens dataordbok som varje uppladdning. Den används bara för detta tillstånd.
order-extend = Förläng tiden
order-extend-months = Månader (högst tre, en gång)
order-extend-submit = Förläng
order-state-open = öppen
order-state-extended = öppen (förlängd)
order-state-fulfilled = fullgjord
order-state-cancelled = avbruten
order-scope-variables = tillståndets variabler ur denna datamängd
order-scope-index_rows = de rader som gör personer till fall i studiepopulationen (indexdatamängden)
order-scope-control_register = befolkningsregistret, att dra matchade kontroller ur
notice-fulfilled = Uppladdningen klarade kontrollerna och fullgör beställningen.
notice-extended = Beställningens sista dag förlängdes.
order-event-placed = Databeställning { $order } lagd
order-event-placed-detail = { $dataset } från { $holder }, senast { $due }
order-event = Databeställning { $order }

## Avgifter
fee-heading = Avgifter
fee-estimate = Uppskattad avgift (kr)
fee-invoice = Faktura efter leverans: varje parts andel (kr)
fee-what = Avser
fee-party = Till
fee-quantity = Antal
fee-unit = Pris
fee-amount = Belopp
fee-total = Summa
fee-item-work = timmar av hälsodataorganets arbete
fee-item-dataset = data ur { $dataset }
fee-item-holder_cost = datahållarens angivna kostnader
fee-item-spe = månader i den säkra miljön
fee-not-accepted = Sökanden har ännu inte godtagit uppskattningen: beslutet väntar på att den godtas.
fee-accepted-by = Godtagen av { $user } den { $date }.
fee-no-estimate = Ingen avgift har uppskattats ännu. Där avgifter tas ut väntar beslutet på att sökanden godtar en uppskattning (EHDS art. 62).
fee-accept = Godta den uppskattade avgiften
fee-or-withdraw = Om du inte godtar den kan du återkalla ansökan i stället.
fee-hours = Timmar av arbete
fee-spe-months = Månader i den säkra miljön
fee-holder-costs = Datahållarnas angivna kostnader
fee-holder-costs-help = En datahållare per rad: datahållare=kronor, till exempel scb=9000.
fee-estimate-submit = Gör uppskattningen
fee-cost-unreadable = ”{ $line }” är inte en datahållares kostnad: skriv datahållare=kronor, till exempel scb=9000.
register-fee = Avgift (kr)

## Samråd
consult-heading = Samråd
consult-intro = Yttranden som begärts före beslutet. Tiden för beslut löper vidare medan de är öppna; ärendet avgörs först när varje yttrande har kommit in eller samrådet avslutats med en motivering.
consult-due = senast { $date }
consult-late = försenat
consult-answer = Yttrandet
consult-answer-submit = Registrera yttrandet
consult-close-reason = Varför samrådet avslutas utan yttrande
consult-close = Avsluta utan yttrande
consult-kind = Vems yttrande
consult-to = Till vem (en enhet, en nämnd, datahållarens organisation, ett hälsodataorgan)
consult-question = Frågan
consult-due-label = Yttrandet senast (ÅÅÅÅ-MM-DD)
consult-ask = Begär yttrande
consult-kind-legal = juridiskt
consult-kind-ethics = etik
consult-kind-data_holder = datahållaren
consult-kind-other_hdab = ett annat hälsodataorgan
consult-state-open = öppet
consult-state-answered = besvarat
consult-state-closed = avslutat
consult-event-asked = Samråd { $id } begärt
consult-event-answered = Samråd { $id } besvarat
consult-event-closed = Samråd { $id } avslutat
consult-kind-unknown = Välj vems yttrande som begärs.
consult-due-unreadable = Sista dagen är inte ett datum (ÅÅÅÅ-MM-DD).

## Verksamhetsrapport
activity-title = Verksamhetsrapport
activity-period = Från { $from } till { $to } (EHDS art. 59). Bara antal: ingen person nämns.
activity-from = Från
activity-to = Till
activity-show = Visa
activity-csv = Ladda ned som CSV
activity-figure = Uppgift
activity-value = Värde
activity-count = Antal
activity-received = Mottagna ansökningar
activity-approved = Beviljade
activity-rejected = Avslagna
activity-withdrawn = Återkallade
activity-on-time = Avgjorda i tid
activity-late = Avgjorda efter tidsfristen
activity-days-median = Dagar från mottagande till beslut (median)
activity-days-mean = Dagar från mottagande till beslut (medelvärde)
activity-days-max = Dagar från mottagande till beslut (längst)
activity-orders-placed = Lagda databeställningar
activity-orders-fulfilled = Fullgjorda databeställningar
activity-orders-late = Databeställningar fullgjorda för sent
activity-orders-overdue = Försenade databeställningar vid periodens slut
activity-deliveries = Leveranser till säkra miljöer
activity-rows = Levererade rader
activity-releases = Resultat utlämnade ur säkra miljöer
activity-opt-outs = Registrerade nej till sekundär användning
activity-opt-ins = Återtagna nej
activity-invoices = Fakturor
activity-fees = Fakturerade avgifter (kr)
activity-refusals = Avslag efter grund
activity-no-refusals = Ingen ansökan avslogs under perioden.
activity-months = Per månad
activity-chart-received = Mottagna ansökningar per månad
activity-chart-decided = Beslut per månad
register-requests = Begäranden om data (EHDS art. 69)
register-no-requests = Inga begäranden om data har kommit in.
register-request = Begäran
register-request-decision = { $decision } den { $date }: { $reason }
register-request-undecided = inte avgjord ännu
request-decision-approve = Bifallen
request-decision-refuse = Avslagen
register-optout-exception = Nej till sekundär användning tillämpas inte: undantag av allmänt intresse (EHDS art. 71.4) enligt { $basis }. Allmänt intresse: { $interest }. Varför syftet inte kan nås på annat sätt: { $necessity }
