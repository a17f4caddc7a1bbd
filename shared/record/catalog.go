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
)

// EventKinds are the three outreach events an inspector records (DOMAIN.md, "What the field app records").
var EventKinds = []Label{
	{KindOpenDay, "Нээлттэй өдөрлөг, явуулын үйлчилгээ", "Open day / mobile service"},
	{KindMarketDay, "Зах, худалдааны төвийн өдөрлөг", "Market-day event"},
	{KindHerderMeeting, "Малчдад мэдээлэл хүргэх, шимтгэл хураах", "Informing herders, collecting contributions"},
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
	{"governor", "Сум, багийн Засаг дарга", "Soum or bagh governor"},
	{"bank", "Арилжааны банк", "Commercial bank"},
	{"labour_welfare", "Хөдөлмөр, халамжийн үйлчилгээний байгууллага", "Labour and welfare office"},
	{"employer", "Ажил олгогч", "Employer"},
	{"ngo", "Төрийн бус байгууллага", "NGO"},
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
	{"none", "Даатгалд хамрагдаагүй", "Not insured"},
}

// InfoAccess answers to "can you get enough information on social insurance?".
var InfoAccess = []Label{
	{"yes", "Тийм", "Yes"},
	{"partly", "Хэсэгчлэн", "Partly"},
	{"no", "Үгүй", "No"},
}

// Satisfaction is the 1-5 scale; 4 and 5 count as satisfied.
var Satisfaction = []Label{
	{"1", "Маш их сэтгэл дундуур", "Very dissatisfied"},
	{"2", "Сэтгэл дундуур", "Dissatisfied"},
	{"3", "Дунд зэрэг", "Neither satisfied nor dissatisfied"},
	{"4", "Сэтгэл хангалуун", "Satisfied"},
	{"5", "Маш их сэтгэл хангалуун", "Very satisfied"},
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
