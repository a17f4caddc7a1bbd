-- Issue 14: totals for the other field activities the programme names (new event kinds), their
-- topics and channels, participants by sex and age band, SMS campaigns (messages by target group
-- and purpose), broadcasts and contest entries: columns m29-m82 are tally.Metrics[29..82].
-- Records stored before carry none of these fields, so every new column is rightly 0 for them,
-- and no existing column changes meaning: "reached" is a record's reached_total where it has
-- one, and the sum of its groups (as before) where it has none.
ALTER TABLE totals ADD COLUMN m29 INTEGER NOT NULL DEFAULT 0; -- events.mobile_service
ALTER TABLE totals ADD COLUMN m30 INTEGER NOT NULL DEFAULT 0; -- events.lecture
ALTER TABLE totals ADD COLUMN m31 INTEGER NOT NULL DEFAULT 0; -- events.workplace_talk
ALTER TABLE totals ADD COLUMN m32 INTEGER NOT NULL DEFAULT 0; -- events.office_counselling
ALTER TABLE totals ADD COLUMN m33 INTEGER NOT NULL DEFAULT 0; -- events.student_conference
ALTER TABLE totals ADD COLUMN m34 INTEGER NOT NULL DEFAULT 0; -- events.essay_contest
ALTER TABLE totals ADD COLUMN m35 INTEGER NOT NULL DEFAULT 0; -- events.broadcast
ALTER TABLE totals ADD COLUMN m36 INTEGER NOT NULL DEFAULT 0; -- events.sms_campaign
ALTER TABLE totals ADD COLUMN m37 INTEGER NOT NULL DEFAULT 0; -- events.other
ALTER TABLE totals ADD COLUMN m38 INTEGER NOT NULL DEFAULT 0; -- reached_sex.female
ALTER TABLE totals ADD COLUMN m39 INTEGER NOT NULL DEFAULT 0; -- reached_sex.male
ALTER TABLE totals ADD COLUMN m40 INTEGER NOT NULL DEFAULT 0; -- reached_age.under_18
ALTER TABLE totals ADD COLUMN m41 INTEGER NOT NULL DEFAULT 0; -- reached_age.18_24
ALTER TABLE totals ADD COLUMN m42 INTEGER NOT NULL DEFAULT 0; -- reached_age.25_34
ALTER TABLE totals ADD COLUMN m43 INTEGER NOT NULL DEFAULT 0; -- reached_age.35_44
ALTER TABLE totals ADD COLUMN m44 INTEGER NOT NULL DEFAULT 0; -- reached_age.45_54
ALTER TABLE totals ADD COLUMN m45 INTEGER NOT NULL DEFAULT 0; -- reached_age.55_plus
ALTER TABLE totals ADD COLUMN m46 INTEGER NOT NULL DEFAULT 0; -- messages_sent
ALTER TABLE totals ADD COLUMN m47 INTEGER NOT NULL DEFAULT 0; -- messages.herders
ALTER TABLE totals ADD COLUMN m48 INTEGER NOT NULL DEFAULT 0; -- messages.self_employed
ALTER TABLE totals ADD COLUMN m49 INTEGER NOT NULL DEFAULT 0; -- messages.unemployed
ALTER TABLE totals ADD COLUMN m50 INTEGER NOT NULL DEFAULT 0; -- messages.disabled
ALTER TABLE totals ADD COLUMN m51 INTEGER NOT NULL DEFAULT 0; -- messages.abroad
ALTER TABLE totals ADD COLUMN m52 INTEGER NOT NULL DEFAULT 0; -- messages.students
ALTER TABLE totals ADD COLUMN m53 INTEGER NOT NULL DEFAULT 0; -- messages.pupils
ALTER TABLE totals ADD COLUMN m54 INTEGER NOT NULL DEFAULT 0; -- messages.near_pension
ALTER TABLE totals ADD COLUMN m55 INTEGER NOT NULL DEFAULT 0; -- messages.employers
ALTER TABLE totals ADD COLUMN m56 INTEGER NOT NULL DEFAULT 0; -- messages.employees
ALTER TABLE totals ADD COLUMN m57 INTEGER NOT NULL DEFAULT 0; -- messages.other
ALTER TABLE totals ADD COLUMN m58 INTEGER NOT NULL DEFAULT 0; -- messages_purpose.contract
ALTER TABLE totals ADD COLUMN m59 INTEGER NOT NULL DEFAULT 0; -- messages_purpose.payment
ALTER TABLE totals ADD COLUMN m60 INTEGER NOT NULL DEFAULT 0; -- messages_purpose.pre_retirement
ALTER TABLE totals ADD COLUMN m61 INTEGER NOT NULL DEFAULT 0; -- messages_purpose.other
ALTER TABLE totals ADD COLUMN m62 INTEGER NOT NULL DEFAULT 0; -- broadcasts
ALTER TABLE totals ADD COLUMN m63 INTEGER NOT NULL DEFAULT 0; -- broadcast_minutes
ALTER TABLE totals ADD COLUMN m64 INTEGER NOT NULL DEFAULT 0; -- entries
ALTER TABLE totals ADD COLUMN m65 INTEGER NOT NULL DEFAULT 0; -- topics.voluntary_insurance
ALTER TABLE totals ADD COLUMN m66 INTEGER NOT NULL DEFAULT 0; -- topics.contracts_payments
ALTER TABLE totals ADD COLUMN m67 INTEGER NOT NULL DEFAULT 0; -- topics.pensions
ALTER TABLE totals ADD COLUMN m68 INTEGER NOT NULL DEFAULT 0; -- topics.disability
ALTER TABLE totals ADD COLUMN m69 INTEGER NOT NULL DEFAULT 0; -- topics.contributions_check
ALTER TABLE totals ADD COLUMN m70 INTEGER NOT NULL DEFAULT 0; -- topics.unemployment_benefit
ALTER TABLE totals ADD COLUMN m71 INTEGER NOT NULL DEFAULT 0; -- topics.law
ALTER TABLE totals ADD COLUMN m72 INTEGER NOT NULL DEFAULT 0; -- topics.other
ALTER TABLE totals ADD COLUMN m73 INTEGER NOT NULL DEFAULT 0; -- channels.in_person
ALTER TABLE totals ADD COLUMN m74 INTEGER NOT NULL DEFAULT 0; -- channels.printed
ALTER TABLE totals ADD COLUMN m75 INTEGER NOT NULL DEFAULT 0; -- channels.sms
ALTER TABLE totals ADD COLUMN m76 INTEGER NOT NULL DEFAULT 0; -- channels.tv
ALTER TABLE totals ADD COLUMN m77 INTEGER NOT NULL DEFAULT 0; -- channels.radio
ALTER TABLE totals ADD COLUMN m78 INTEGER NOT NULL DEFAULT 0; -- channels.social_media
ALTER TABLE totals ADD COLUMN m79 INTEGER NOT NULL DEFAULT 0; -- channels.website_app
ALTER TABLE totals ADD COLUMN m80 INTEGER NOT NULL DEFAULT 0; -- channels.podcast
ALTER TABLE totals ADD COLUMN m81 INTEGER NOT NULL DEFAULT 0; -- channels.intermediaries
ALTER TABLE totals ADD COLUMN m82 INTEGER NOT NULL DEFAULT 0; -- channels.other
