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
