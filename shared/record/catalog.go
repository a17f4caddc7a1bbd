// Package record is the programme's vocabulary: the codes of DOMAIN.md and PROTOCOL.md with their
// Mongolian and English labels, and the validation of an event or a survey as it travels on the wire.
// It imports only the standard library and shared/unit, so every side validates the same way.
package record

// Label is one code of a closed list with the words the interface shows for it.
type Label struct {
	Code string
	MN   string
	EN   string
}

// Entities on the wire.
const (
	EntityEvent  = "event"
	EntitySurvey = "survey"
)

// Event kinds.
const (
	KindOpenDay       = "open_day"
	KindMarketDay     = "market_day"
	KindHerderMeeting = "herder_meeting"
	// Issue 14: the other field activities the programme names.
	KindMobileService     = "mobile_service"     // l.368, 1.5: told apart from the open day ("тоо, төрөл")
	KindLecture           = "lecture"            // l.361, 2.4
	KindWorkplaceTalk     = "workplace_talk"     // l.342
	KindOfficeCounselling = "office_counselling" // l.343, l.350: citizens who come to the office
	KindStudentConference = "student_conference" // l.345
	KindEssayContest      = "essay_contest"      // l.346
	KindBroadcast         = "broadcast"          // l.365, 2.5 at division level
	KindSMSCampaign       = "sms_campaign"       // l.340, l.342, l.348
	KindOther             = "other"              // needs kind_other, a description
)

// EventKinds are the outreach activities an inspector or a division officer records (DOMAIN.md,
// "What the field app records"; the review's table 1c), in the order the form offers them.
// Records made before mobile_service existed carry open_day for either format (docs/glossary.md).
var EventKinds = []Label{
	{KindOpenDay, "Нээлттэй өдөрлөг", "Open day"},
	{KindMobileService, "Явуулын үйлчилгээ", "Mobile service"},
	{KindMarketDay, "Зах, худалдааны төвийн өдөрлөг", "Market-day event"},
	{KindHerderMeeting, "Малчдын уулзалт", "Herder meeting"},
	{KindLecture, "Олон нийтийн лекц, семинар, нээлттэй хэлэлцүүлэг", "Public lecture, seminar or open discussion"},
	{KindWorkplaceTalk, "Ажлын байран дээрх яриа, сургалт", "Workplace talk or training"},
	{KindOfficeCounselling, "Байгууллагад ирсэн иргэнд өгсөн зөвлөгөө", "Counselling in the office"},
	{KindStudentConference, "Оюутны эрдэм шинжилгээний бага хурал", "Student research conference"},
	{KindEssayContest, "Ахлах ангийн сурагчдын эссэ, илтгэлийн уралдаан", "Pupils' essay and speech contest"},
	{KindBroadcast, "Орон нутгийн телевиз, радиогийн нэвтрүүлэг", "Local TV or radio broadcast"},
	{KindSMSCampaign, "Сануулга мессеж илгээлт", "Reminder SMS campaign"},
	{KindOther, "Бусад", "Other"},
}

// Topics are what an event explained (l.339-352, l.363, l.368); an event may name several.
var Topics = []Label{
	{"voluntary_insurance", "Сайн дурын даатгал, түүний ач холбогдол", "Voluntary insurance and why it matters"},
	{"contracts_payments", "Даатгалын гэрээ, шимтгэл төлөлт", "Insurance contracts and paying contributions"},
	{"pensions", "Тэтгэвэр, тэтгэврийн баримт бичгийг урьдчилан шалгуулах", "Pensions and the pre-check of documents before retirement"},
	{"disability", "Тахир дутуугийн тэтгэвэр, эмнэлэг, хөдөлмөрийн магадлал", "Disability pension and the medical-labour assessment"},
	{"contributions_check", "Шимтгэл төлөлтөө шалгах, цахим үйлчилгээ", "Checking one's contributions and e-services"},
	{"unemployment_benefit", "Ажилгүйдлийн тэтгэмж", "Unemployment benefit"},
	{"law", "Нийгмийн даатгалын хууль тогтоомж", "Social-insurance law"},
	{"other", "Бусад", "Other"},
}

// Channels are how an event's information reached people (§3.2-3.3); an event may name several.
var Channels = []Label{
	{"in_person", "Биечлэн, амаар", "In person"},
	{"printed", "Хэвлэмэл материал", "Printed materials"},
	{"sms", "Мессеж", "SMS"},
	{"tv", "Телевиз", "Television"},
	{"radio", "Радио", "Radio"},
	{"social_media", "Нийгмийн сүлжээ", "Social networks"},
	{"website_app", "Вэбсайт, гар утасны аппликейшн", "Website and mobile app"},
	{"podcast", "Подкаст", "Podcast"},
	{"intermediaries", "Засаг дарга, ажил олгогч, хамтрагчаар дамжуулан", "Through governors, employers and partners"},
	{"other", "Бусад", "Other"},
}

// SMSPurposes are what a reminder SMS campaign reminds of (l.340, l.342, l.348).
var SMSPurposes = []Label{
	{"contract", "Даатгалын гэрээ сунгах, байгуулах", "Renewing or making an insurance contract"},
	{"payment", "Шимтгэл төлөх", "Paying contributions"},
	{"pre_retirement", "Тэтгэврийн баримт бичгийг урьдчилан шалгуулах", "Pre-checking documents before retirement"},
	{"other", "Бусад", "Other"},
}

// ParticipantAges are the age bands of an event's participants: the survey's bands
// (l.284) with one below 18 for pupils. Codes are field-name safe ("reached_age.55_plus").
var ParticipantAges = []Label{
	{"under_18", "18-аас доош", "Under 18"},
	{"18_24", "18-24", "18-24"},
	{"25_34", "25-34", "25-34"},
	{"35_44", "35-44", "35-44"},
	{"45_54", "45-54", "45-54"},
	{"55_plus", "55-аас дээш", "55 and over"},
}

// Occasions at which an event was held.
var Occasions = []Label{
	{"livestock_census", "Малын тооллого", "Livestock census"},
	{"wool_cashmere", "Ноос, ноолуур бэлтгэл", "Wool and cashmere collection"},
	{"meat_procurement", "Мах бэлтгэл", "Meat procurement"},
	{"market_day", "Захын өдөр", "Market day"},
	{"other", "Бусад", "Other"},
}

// Partners present at an event.
var Partners = []Label{
	{"governor", "Сум, баг, хорооны Засаг дарга", "Soum, bagh or khoroo governor"},
	{"bank", "Арилжааны банк", "Commercial bank"},
	{"labour_welfare", "Хөдөлмөр, халамжийн үйлчилгээний байгууллага", "Labour and welfare office"},
	{"social_worker", "Нийгмийн ажилтан", "Social worker"},
	{"youth", "Залуучуудын хөгжлийг дэмжих байгууллага", "Youth development body"},
	{"employer", "Ажил олгогч", "Employer"},
	{"university", "Их, дээд сургууль, коллеж", "University or college"},
	{"school", "Ерөнхий боловсролын сургууль", "Secondary school"},
	{"media", "Хэвлэл мэдээллийн байгууллага", "Media outlet"},
	{"trade_union", "Үйлдвэрчний эвлэл", "Trade union"},
	{"employers_association", "Ажил олгогчдын холбоо", "Employers' association"},
	{"ngo", "Төрийн бус байгууллага", "NGO"},
	{"international", "Олон улсын байгууллага, төсөл, хөтөлбөр", "International organisation or project"},
	{"diaspora", "Гадаад дахь иргэдийн холбоо, элчин сайдын яам, консул", "Citizens' associations abroad, embassy or consulate"},
	{"other", "Бусад", "Other"},
}

// TargetGroups are the programme's ten target groups plus "other"; the order is the programme's.
var TargetGroups = []Label{
	{"herders", "Малчин", "Herders"},
	{"self_employed", "Хувиараа хөдөлмөр эрхлэгч", "Self-employed"},
	{"unemployed", "Ажилгүй иргэн", "Unemployed"},
	{"disabled", "Хөгжлийн бэрхшээлтэй иргэн", "Persons with disabilities"},
	{"abroad", "Гадаад улсад ажиллаж, амьдарч буй иргэн", "Citizens working or living abroad"},
	{"students", "Оюутан, суралцагч", "Students"},
	{"pupils", "ЕБС-ийн сурагч", "School pupils"},
	{"near_pension", "Тэтгэврийн нас ойртсон даатгуулагч, тэтгэвэр авагч", "Near pension age and pensioners"},
	{"employers", "Ажил олгогч", "Employers"},
	{"employees", "Албан журмын даатгуулагч (ажилтан)", "Mandatorily insured employees"},
	{"other", "Бусад", "Other"},
}

// Materials handed out at events.
var Materials = []Label{
	{"handbook", "Гарын авлага", "Handbook"},
	{"brochure", "Танилцуулга", "Brochure"},
	{"poster", "Зурагт хуудас", "Poster"},
	{"comic", "Комик ном", "Comic book"},
	{"other", "Бусад", "Other"},
}

// InfoSources are the eleven information sources of the survey question.
var InfoSources = []Label{
	{"website", "Байгууллагын веб хуудас", "Website"},
	{"notice_board", "Мэдээллийн самбар", "Notice board"},
	{"handouts", "Тараах материал, танилцуулга", "Handouts"},
	{"officer", "Хариуцсан ажилтан", "The responsible officer"},
	{"hotline", "Лавлах утас", "Hotline"},
	{"word_of_mouth", "Бусдын амнаас", "Word of mouth"},
	{"tv", "Телевизийн мэдээ, нэвтрүүлэг", "TV news and programmes"},
	{"social_media", "Нийгмийн сүлжээ", "Social networks"},
	{"print", "Сонин, сэтгүүл", "Newspapers and magazines"},
	{"news_sites", "Бусад мэдээллийн сайт", "Other news sites"},
	{"other", "Бусад", "Other"},
}

// AgeBands of survey respondents.
var AgeBands = []Label{
	{"18-24", "18-24", "18-24"},
	{"25-34", "25-34", "25-34"},
	{"35-44", "35-44", "35-44"},
	{"45-54", "45-54", "45-54"},
	{"55+", "55-аас дээш нас", "55 and over"},
}

// Sexes of survey respondents.
var Sexes = []Label{
	{"female", "Эмэгтэй", "Female"},
	{"male", "Эрэгтэй", "Male"},
}

// InsuranceStatuses of survey respondents.
var InsuranceStatuses = []Label{
	{"mandatory", "Албан журмын даатгуулагч", "Mandatorily insured"},
	{"voluntary", "Сайн дурын даатгуулагч", "Voluntarily insured"},
	{"pensioner", "Тэтгэвэр авагч", "Pensioner"},
	{"none", "Даатгалгүй", "Not insured"},
}

// InfoAccess answers to "can you get enough information on social insurance?".
var InfoAccess = []Label{
	{"yes", "Тийм", "Yes"},
	{"partly", "Хэсэгчлэн", "Partly"},
	{"no", "Үгүй", "No"},
}

// Satisfaction is the 1-5 scale; 4 and 5 count as satisfied.
var Satisfaction = []Label{
	{"1", "Маш муу", "Very poor"},
	{"2", "Муу", "Poor"},
	{"3", "Дунд зэрэг", "Fair"},
	{"4", "Сайн", "Good"},
	{"5", "Маш сайн", "Very good"},
}

// Lists names every closed list by the name the translation catalogue uses as key prefix, so that
// "target_group.herders" is the label of a code wherever it is shown.
var Lists = map[string][]Label{
	"kind":             EventKinds,
	"occasion":         Occasions,
	"partner":          Partners,
	"target_group":     TargetGroups,
	"material":         Materials,
	"info_source":      InfoSources,
	"age_band":         AgeBands,
	"sex":              Sexes,
	"insurance_status": InsuranceStatuses,
	"info_access":      InfoAccess,
	"satisfaction":     Satisfaction,
	"topic":            Topics,
	"channel":          Channels,
	"sms_purpose":      SMSPurposes,
	"participant_age":  ParticipantAges,
}

// Has reports whether code is in list.
func Has(list []Label, code string) bool {
	for _, l := range list {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Codes returns the codes of list in order.
func Codes(list []Label) []string {
	out := make([]string, len(list))
	for i, l := range list {
		out[i] = l.Code
	}
	return out
}
