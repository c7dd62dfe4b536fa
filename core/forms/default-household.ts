// The default household socio-economic questionnaire (English and French), installed at first start: dwelling,
// assets, income, food security, and members with education and the Washington Group short set on disability.
// The answer codes are the attribute vocabulary the assessment scores and the reports count (tmp/spec.md).
import type { Choice, FormDefinition, FormField, Text } from './definition.js';

export const DEFAULT_FORM_ID = 'household-socioeconomic';
export const DEFAULT_FORM_TITLE: Text = { en: 'Household socio-economic questionnaire', fr: 'Questionnaire socio-économique du ménage' };

const t = (en: string, fr: string): Text => ({ en, fr });
const list = (entries: [string, string, string][]): Choice[] => entries.map(([value, en, fr]) => ({ value, label: t(en, fr) }));
const codes = (entries: [string, string, string][]) => entries.map(([v]) => v);

const WALL: [string, string, string][] = [['brick', 'Brick or block', 'Brique ou parpaing'], ['wood', 'Wood', 'Bois'], ['mud', 'Mud', 'Terre'], ['iron_sheet', 'Iron sheet', 'Tôle'], ['other', 'Other', 'Autre']];
const ROOF: [string, string, string][] = [['concrete', 'Concrete', 'Béton'], ['iron_sheet', 'Iron sheet', 'Tôle'], ['tiles', 'Tiles', 'Tuiles'], ['thatch', 'Thatch', 'Chaume'], ['other', 'Other', 'Autre']];
const FLOOR: [string, string, string][] = [['cement', 'Cement', 'Ciment'], ['tiles', 'Tiles', 'Carrelage'], ['earth', 'Earth', 'Terre battue'], ['wood', 'Wood', 'Bois'], ['other', 'Other', 'Autre']];
const WATER: [string, string, string][] = [['piped', 'Piped water', 'Eau courante'], ['borehole', 'Borehole', 'Forage'], ['protected_well', 'Protected well', 'Puits protégé'], ['unprotected_well', 'Unprotected well', 'Puits non protégé'], ['surface', 'Surface water (river, lake)', 'Eau de surface (rivière, lac)'], ['vendor', 'Water vendor', 'Vendeur d’eau']];
const TOILET: [string, string, string][] = [['flush', 'Flush toilet', 'Toilettes à chasse d’eau'], ['pit_latrine_slab', 'Pit latrine with slab', 'Latrine à fosse avec dalle'], ['pit_latrine_open', 'Open pit latrine', 'Latrine à fosse ouverte'], ['none', 'No toilet', 'Pas de toilettes']];
const LIGHTING: [string, string, string][] = [['grid', 'Electricity grid', 'Réseau électrique'], ['solar', 'Solar', 'Solaire'], ['kerosene', 'Kerosene', 'Pétrole'], ['none', 'None', 'Aucun']];
const FUEL: [string, string, string][] = [['gas', 'Gas', 'Gaz'], ['electricity', 'Electricity', 'Électricité'], ['charcoal', 'Charcoal', 'Charbon de bois'], ['firewood', 'Firewood', 'Bois de chauffe'], ['other', 'Other', 'Autre']];
const ASSETS: [string, string, string][] = [['radio', 'Radio', 'Radio'], ['tv', 'Television', 'Télévision'], ['phone', 'Mobile phone', 'Téléphone portable'], ['fridge', 'Refrigerator', 'Réfrigérateur'], ['bicycle', 'Bicycle', 'Vélo'], ['motorcycle', 'Motorcycle', 'Moto'], ['car', 'Car', 'Voiture'], ['livestock_large', 'Large livestock (cattle, camels)', 'Gros bétail (bovins, chameaux)'], ['livestock_small', 'Small livestock (goats, sheep, poultry)', 'Petit bétail (chèvres, moutons, volailles)'], ['land', 'Farm land', 'Terres agricoles']];
const INCOME: [string, string, string][] = [['salary', 'Salary', 'Salaire'], ['casual_labour', 'Casual labour', 'Travail journalier'], ['farming', 'Farming', 'Agriculture'], ['business', 'Own business', 'Commerce ou entreprise'], ['remittances', 'Remittances', 'Transferts de la famille'], ['pension', 'Pension', 'Pension'], ['transfers', 'Social transfers', 'Transferts sociaux'], ['none', 'No income', 'Aucun revenu']];
const MEALS: [string, string, string][] = [['never', 'Never', 'Jamais'], ['sometimes', 'Sometimes', 'Parfois'], ['often', 'Often', 'Souvent']];
const EDUCATION: [string, string, string][] = [['none', 'None', 'Aucun'], ['primary', 'Primary', 'Primaire'], ['secondary', 'Secondary', 'Secondaire'], ['tertiary', 'Tertiary', 'Supérieur']];
const SEX: [string, string, string][] = [['female', 'Female', 'Féminin'], ['male', 'Male', 'Masculin'], ['other', 'Other', 'Autre'], ['unknown', 'Prefers not to say', 'Préfère ne pas répondre']];
const WG: [string, string, string][] = [['no_difficulty', 'No difficulty', 'Aucune difficulté'], ['some_difficulty', 'Some difficulty', 'Quelques difficultés'], ['a_lot_of_difficulty', 'A lot of difficulty', 'Beaucoup de difficultés'], ['cannot_do', 'Cannot do at all', 'Ne peut pas du tout']];
const RELATIONSHIP: [string, string, string][] = [['SELF', 'Head of household', 'Chef de ménage'], ['SPS', 'Spouse', 'Conjoint(e)'], ['WIFE', 'Wife', 'Épouse'], ['HUSB', 'Husband', 'Époux'], ['SON', 'Son', 'Fils'], ['DAU', 'Daughter', 'Fille'], ['CHLDFOST', 'Foster child', 'Enfant placé'], ['GRNDCHILD', 'Grandchild', 'Petit-enfant'], ['PRN', 'Parent', 'Parent'], ['SIB', 'Brother or sister', 'Frère ou sœur'], ['EXT', 'Other relative', 'Autre parent'], ['NPRN', 'Not related', 'Sans lien de parenté']];

/** The Washington Group short set: the attribute, its SPDCI disability code, and the question. */
export const WASHINGTON_GROUP = [
  { attribute: 'wg_seeing', code: 'VIS_SS', question: t('Does this person have difficulty seeing, even if wearing glasses?', 'Cette personne a-t-elle des difficultés à voir, même si elle porte des lunettes ?') },
  { attribute: 'wg_hearing', code: 'HEAR_SS', question: t('Difficulty hearing, even if using a hearing aid?', 'Des difficultés à entendre, même avec un appareil auditif ?') },
  { attribute: 'wg_walking', code: 'MOB_SS', question: t('Difficulty walking or climbing steps?', 'Des difficultés à marcher ou à monter des marches ?') },
  { attribute: 'wg_cognition', code: 'COG_SS', question: t('Difficulty remembering or concentrating?', 'Des difficultés à se souvenir ou à se concentrer ?') },
  { attribute: 'wg_selfcare', code: 'SC_SS', question: t('Difficulty with self-care, such as washing all over or dressing?', 'Des difficultés à prendre soin de soi, comme se laver ou s’habiller ?') },
  { attribute: 'wg_communication', code: 'COM_SS', question: t('Using their usual language, difficulty communicating (understanding or being understood)?', 'Dans sa langue habituelle, des difficultés à communiquer (comprendre ou être compris) ?') },
] as const;

const oneOf = (entries: [string, string, string][]) => ({ type: 'string', enum: codes(entries) });
const manyOf = (entries: [string, string, string][]) => ({ type: 'array', uniqueItems: true, items: { type: 'string', enum: codes(entries) } });
const AGE = 'age(${person.birth_date})';

function field(path: string, type: FormField['type'], label: Text, more: Partial<FormField> = {}): FormField {
  return { path, type, label, ...more };
}

export function defaultHouseholdForm(): FormDefinition {
  const personAttributes: Record<string, unknown> = {
    education_level: oneOf(EDUCATION),
    in_school: { type: 'boolean' },
    occupation: { type: 'string', minLength: 1, maxLength: 200 },
    ...Object.fromEntries(WASHINGTON_GROUP.map((w) => [w.attribute, oneOf(WG)])),
  };
  return {
    languages: ['en', 'fr'],
    default_language: 'en',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['area_code', 'members'],
      properties: {
        household_type: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,31}$' },
        address: { type: 'string', minLength: 1, maxLength: 500 },
        area_code: { type: 'string', pattern: '^[A-Z0-9][A-Z0-9_-]{0,31}$' },
        location: {
          type: 'object',
          additionalProperties: false,
          required: ['latitude', 'longitude'],
          properties: { latitude: { type: 'number', minimum: -90, maximum: 90 }, longitude: { type: 'number', minimum: -180, maximum: 180 } },
        },
        attributes: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dwelling_wall: oneOf(WALL),
            dwelling_roof: oneOf(ROOF),
            dwelling_floor: oneOf(FLOOR),
            water_source: oneOf(WATER),
            toilet: oneOf(TOILET),
            lighting: oneOf(LIGHTING),
            cooking_fuel: oneOf(FUEL),
            rooms: { type: 'integer', minimum: 1, maximum: 50 },
            assets: manyOf(ASSETS),
            income_sources: manyOf(INCOME),
            monthly_income: { type: 'number', minimum: 0 },
            meals_skipped: oneOf(MEALS),
          },
        },
        members: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['relationship', 'person'],
            properties: {
              relationship: { type: 'string', pattern: '^[A-Z]{2,12}$' },
              start_date: { type: 'string', format: 'date' },
              person: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  given_name: { type: 'string', minLength: 1, maxLength: 200 },
                  family_name: { type: 'string', minLength: 1, maxLength: 200 },
                  other_names: { type: 'string', minLength: 1, maxLength: 200 },
                  sex: oneOf(SEX),
                  birth_date: { type: 'string', format: 'date' },
                  birth_date_estimated: { type: 'boolean' },
                  phone: { type: 'string', pattern: '^\\+?[0-9][0-9 ()-]{3,24}$' },
                  preferred_language: { type: 'string', pattern: '^[a-z]{3}$' },
                  disabilities: { type: 'array', uniqueItems: true, items: { type: 'string', enum: WASHINGTON_GROUP.map((w) => w.code) } },
                  identifiers: {
                    type: 'array',
                    maxItems: 10,
                    items: {
                      type: 'object',
                      additionalProperties: false,
                      required: ['type', 'value'],
                      properties: { type: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{1,31}$' }, value: { type: 'string', minLength: 1, maxLength: 64 } },
                    },
                  },
                  attributes: { type: 'object', additionalProperties: false, properties: personAttributes },
                },
              },
            },
          },
        },
      },
    },
    choices: {
      wall: list(WALL), roof: list(ROOF), floor: list(FLOOR), water: list(WATER), toilet: list(TOILET), lighting: list(LIGHTING),
      fuel: list(FUEL), assets: list(ASSETS), income: list(INCOME), meals: list(MEALS), education: list(EDUCATION), sex: list(SEX),
      wg: list(WG), relationship: list(RELATIONSHIP),
    },
    ui: {
      sections: [
        {
          id: 'location',
          title: t('Location', 'Localisation'),
          fields: [
            field('area_code', 'text', t('Administrative area', 'Zone administrative'), { required: true }),
            field('address', 'text', t('Address or description of the place', 'Adresse ou description du lieu'), { hint: t('Landmarks help when there is no street address.', 'Des repères aident quand il n’y a pas d’adresse.') }),
            field('location', 'geopoint', t('GPS position', 'Position GPS')),
          ],
        },
        {
          id: 'dwelling',
          title: t('Dwelling', 'Logement'),
          fields: [
            field('attributes.dwelling_wall', 'select_one', t('Main material of the outer walls', 'Matériau principal des murs extérieurs'), { choices: 'wall', required: true }),
            field('attributes.dwelling_roof', 'select_one', t('Main material of the roof', 'Matériau principal du toit'), { choices: 'roof', required: true }),
            field('attributes.dwelling_floor', 'select_one', t('Main material of the floor', 'Matériau principal du sol'), { choices: 'floor', required: true }),
            field('attributes.rooms', 'integer', t('Rooms used for sleeping', 'Pièces utilisées pour dormir'), {
              required: true, constraint: '. >= 1 and . <= 50', constraint_message: t('Between 1 and 50 rooms.', 'Entre 1 et 50 pièces.'),
            }),
            field('attributes.water_source', 'select_one', t('Main source of drinking water', 'Principale source d’eau potable'), { choices: 'water', required: true }),
            field('attributes.toilet', 'select_one', t('Toilet facility', 'Type de toilettes'), { choices: 'toilet', required: true }),
            field('attributes.lighting', 'select_one', t('Main source of lighting', 'Principale source d’éclairage'), { choices: 'lighting', required: true }),
            field('attributes.cooking_fuel', 'select_one', t('Main cooking fuel', 'Principal combustible de cuisson'), { choices: 'fuel', required: true }),
          ],
        },
        {
          id: 'livelihood',
          title: t('Assets and income', 'Biens et revenus'),
          fields: [
            field('attributes.assets', 'select_multiple', t('Which of these does the household own?', 'Lesquels de ces biens le ménage possède-t-il ?'), { choices: 'assets' }),
            field('attributes.income_sources', 'select_multiple', t('Sources of income in the last 12 months', 'Sources de revenus au cours des 12 derniers mois'), {
              choices: 'income', required: true,
              constraint: "not (selected(., 'none') and count(.) > 1)",
              constraint_message: t('"No income" cannot be combined with another source.', '« Aucun revenu » ne peut pas être combiné avec une autre source.'),
            }),
            field('attributes.monthly_income', 'decimal', t('Total monthly income of the household', 'Revenu mensuel total du ménage'), {
              relevant: "not selected(${attributes.income_sources}, 'none')",
              required: true, constraint: '. >= 0', constraint_message: t('Cannot be negative.', 'Ne peut pas être négatif.'),
            }),
          ],
        },
        {
          id: 'food_security',
          title: t('Food security', 'Sécurité alimentaire'),
          fields: [
            field('attributes.meals_skipped', 'select_one', t('In the last 30 days, did an adult skip meals because there was not enough food?', 'Au cours des 30 derniers jours, un adulte a-t-il sauté des repas faute de nourriture ?'), { choices: 'meals', required: true }),
          ],
        },
        {
          id: 'members',
          title: t('Household members', 'Membres du ménage'),
          repeat: 'members',
          fields: [
            field('relationship', 'select_one', t('Relationship to the head of household', 'Lien avec le chef de ménage'), { choices: 'relationship', required: true }),
            field('person.given_name', 'text', t('Given name', 'Prénom'), { required: 'empty(${person.family_name})' }),
            field('person.family_name', 'text', t('Family name', 'Nom de famille'), { required: 'empty(${person.given_name})' }),
            field('person.sex', 'select_one', t('Sex', 'Sexe'), { choices: 'sex', required: true }),
            field('person.birth_date', 'date', t('Date of birth', 'Date de naissance'), {
              required: true, hint: t('If unknown, estimate it and tick "estimated".', 'Si elle est inconnue, estimez-la et cochez « estimée ».'),
              constraint: '. <= today()', constraint_message: t('Cannot be in the future.', 'Ne peut pas être dans le futur.'),
            }),
            field('person.birth_date_estimated', 'boolean', t('Date of birth estimated', 'Date de naissance estimée')),
            field('person.phone', 'text', t('Phone number', 'Numéro de téléphone'), { relevant: `${AGE} >= 15` }),
            field('person.attributes.education_level', 'select_one', t('Highest level of education completed', 'Plus haut niveau d’études achevé'), { choices: 'education', relevant: `${AGE} >= 5`, required: true }),
            field('person.attributes.in_school', 'boolean', t('Currently attending school', 'Fréquente actuellement l’école'), { relevant: `${AGE} >= 5 and ${AGE} <= 24`, required: true }),
            field('person.attributes.occupation', 'text', t('Main occupation', 'Occupation principale'), { relevant: `${AGE} >= 15` }),
            ...WASHINGTON_GROUP.map((w) => field(`person.attributes.${w.attribute}`, 'select_one', w.question, {
              choices: 'wg', relevant: `${AGE} >= 5`, required: true,
              hint: t('Washington Group short set; ask every member aged 5 or more.', 'Questionnaire court du Groupe de Washington ; pour chaque membre de 5 ans ou plus.'),
            })),
          ],
        },
      ],
    },
  };
}

/**
 * person.disabilities from the Washington Group answers: the domains answered "a lot of difficulty" or "cannot do"
 * (the WG cut-off), so reports need not read the attributes. Members without WG answers keep what they have.
 */
export function deriveDisabilities<T extends { members?: { person?: { attributes?: Record<string, unknown>; disabilities?: string[] } }[] }>(household: T): T {
  for (const member of household.members ?? []) {
    const attributes = member.person?.attributes;
    if (!attributes || !WASHINGTON_GROUP.some((w) => attributes[w.attribute] !== undefined)) continue;
    member.person!.disabilities = WASHINGTON_GROUP.filter((w) => ['a_lot_of_difficulty', 'cannot_do'].includes(String(attributes[w.attribute]))).map((w) => w.code);
  }
  return household;
}
